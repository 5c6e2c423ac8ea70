"""Collector throughput: events/s acknowledged durably, and ack latency, vs. bare Flask.

    .venv/bin/python benchmarks/collector.py [--seconds 10] [--batch 50]

Starts the real collector (gunicorn, gthread) on a free loopback port with a temporary
event log, drives it with batches of valid events from separate load-generator processes,
then does the same against a bare Flask endpoint under identical gunicorn settings that only
parses the body. Prints one JSON line; the ratio is what to compare across machines.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.loadgen import Template, run_load  # noqa: E402
from core.processes import free_port, port_open, stop_process_group, wait_until  # noqa: E402
from ingest.serve import collector_command  # noqa: E402


def templates(batch: int, count: int = 64) -> list[Template]:
    """Batches of valid flow steps; ``ts`` is each event's age when sent (loadgen stamps the clock)."""
    return [
        [
            {
                "user_id": f"u{(b * batch + i) % 5000}",
                "channel": ("app", "web", "wechat")[i % 3],
                "event": "flow_step",
                "ts": (batch - i) * 100,
                "session_id": f"s{b}",
                "page": "/plan/upgrade",
                "props": {"flow": "plan_upgrade", "step": 1 + i % 3, "business": "plan"},
            }
            for i in range(batch)
        ]
        for b in range(count)
    ]


def serve_bare(port: int, workers: int, threads: int) -> None:
    """A Flask endpoint that only parses the body: the ceiling the collector is compared with."""
    from flask import Flask, Response, request

    from core.serving import GunicornApplication

    def make_app() -> Flask:
        app = Flask("bare")

        @app.post("/v1/collect")
        def collect() -> Response:
            batch = orjson.loads(request.get_data())
            return Response(orjson.dumps({"accepted": len(batch), "rejected": []}), mimetype="application/json")

        return app

    GunicornApplication(
        {
            "bind": f"127.0.0.1:{port}",
            "workers": workers,
            "threads": threads,
            "worker_class": "gthread",
            "keepalive": 30,
            "loglevel": "warning",
        },
        make_app,
    ).run()


def measure(cmd: list[str], port: int, args: argparse.Namespace, env: dict[str, str]) -> dict[str, float]:
    server = subprocess.Popen(cmd, env=env, start_new_session=True, stdout=subprocess.DEVNULL)
    try:
        wait_until(lambda: port_open(port), 60, f"a server on port {port}", interval=0.1)
        run_load(port, "/v1/collect", templates(args.batch, 4), processes=1, threads=2, seconds=1.0)  # warm up
        result = run_load(
            port,
            "/v1/collect",
            templates(args.batch),
            processes=args.client_processes,
            threads=args.client_threads,
            seconds=args.seconds,
        )
        return result.summary()
    finally:
        stop_process_group(server.pid, timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--batch", type=int, default=50)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--client-processes", type=int, default=2)
    parser.add_argument("--client-threads", type=int, default=4)
    parser.add_argument("--serve-bare", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_bare:
        serve_bare(args.serve_bare, args.workers, args.threads)
        return
    with tempfile.TemporaryDirectory(prefix="ts-bench-") as home:
        env = {**os.environ, "TOUCHSTREAM_HOME": home, "PYTHONPATH": str(ROOT)}
        sizing = ["--workers", str(args.workers), "--threads", str(args.threads)]
        events, quarantine = Path(home, "events"), Path(home, "quarantine")
        port = free_port()
        collector = measure(collector_command(port, events, quarantine, args.workers, args.threads), port, args, env)
        logged = sum(sum(1 for _ in p.open("rb")) for p in events.glob("*seg-*.jsonl"))
        port = free_port()
        bare = measure([sys.executable, __file__, "--serve-bare", str(port), *sizing], port, args, env)
    print(
        orjson.dumps(
            {
                "benchmark": "collector",
                "batch": args.batch,
                "seconds": args.seconds,
                "workers": args.workers,
                "threads": args.threads,
                "cores": os.cpu_count(),
                "load_avg_1m": round(os.getloadavg()[0], 2),
                "collector": collector,
                "events_in_log": logged,
                "bare_flask": bare,
                "ratio_vs_bare": round(collector["events_per_s"] / bare["events_per_s"], 3)
                if bare["events_per_s"]
                else None,
            }
        ).decode()
    )


if __name__ == "__main__":
    main()
