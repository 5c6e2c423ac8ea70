"""Event -> tag latency under a steady feed, and the pipeline's peak memory.

    .venv/bin/python -m benchmarks.tag_latency [--rate 5000] [--seconds 40] [--lateness-ms 10000]

Starts, in a temporary home, the embedded Redis, the continuous pipeline
(`touchstream pipeline`) and the collector (`--roll-seconds 0.2`), all on loopback. A feeder
posts batches of live-stamped events at ``--rate`` events/s: ``--warmup`` seconds of plain
traffic first (the job's start-up backlog is not what is measured), then ``--seconds``
during which every 100 ms one of the events is an ``order_success`` of a fresh "probe"
user, then plain traffic again until every probe is seen (a stream that stops holds its
watermark, so its last windows would never close). Latency is from the collector's 200 for
the probe's batch to the moment ``orderer:plan`` is readable in that user's Redis profile.
The pipeline's peak RSS (its process tree: JVM + embedded Python workers) is sampled through psutil. Prints one
JSON line. Bounded in time; stops everything it started.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import orjson
import redis

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.memory import PeakRss  # noqa: E402
from core.config import load_settings  # noqa: E402
from core.processes import free_port, port_open, stop_process_group, wait_until  # noqa: E402
from flink_jobs.options import JobOptions  # noqa: E402
from tagging.profiles import ensure_embedded, stop_embedded  # noqa: E402
from tagging.profiles.keys import DEFAULT_PREFIX, tags_key  # noqa: E402

TAG = "orderer:plan"


def processed_rate(seen_at: dict[str, float]) -> float | None:
    """Events per second through the job, from when the probes became visible: the job reads
    in order, so when ``probe-<n>`` is visible the ``n`` events sent before it have been
    through. The slope of n over visibility time (probes after the first quarter, past the
    start-up) is the feed rate while the job keeps up, and its capacity once it falls behind."""
    points = sorted((t, int(p.split("-")[1])) for p, t in seen_at.items())[len(seen_at) // 4 :]
    if len(points) < 10 or points[-1][0] - points[0][0] < 1:
        return None
    slope, _ = np.polyfit([t for t, _ in points], [n for _, n in points], 1)
    return round(float(slope), 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=int, default=5000)
    parser.add_argument("--seconds", type=float, default=40.0, help="how long probes are sent")
    parser.add_argument("--warmup", type=float, default=10.0, help="plain traffic before the first probe")
    parser.add_argument("--lateness-ms", type=int, default=None, help="default: the job's own (JobOptions)")
    parser.add_argument("--batch", type=int, default=50)
    parser.add_argument("--tag-batch-ms", type=int, default=None, help="the tag step's window; default: the job's")
    parser.add_argument("--keep", type=Path, help="keep the home (logs, outputs) here instead of a temporary one")
    args = parser.parse_args()
    with contextlib.ExitStack() as stack:
        home = args.keep or Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="ts-latency-")))
        settings = load_settings(env={}, home=home, collector_port=free_port())
        env = {**{k: v for k, v in os.environ.items() if not k.startswith("TOUCHSTREAM_")}, **settings.to_env()}
        for name, value in (("LATENESS_MS", args.lateness_ms), ("TAG_BATCH_MS", args.tag_batch_ms)):
            if value is not None:  # otherwise the job's defaults: what a user gets
                env[f"TOUCHSTREAM_FLINK_{name}"] = str(value)
        options = JobOptions.load(env)
        client = redis.Redis(unix_socket_path=str(ensure_embedded(settings)))
        pipeline = subprocess.Popen(
            [sys.executable, "-m", "touchstream", "pipeline"],
            env=env,
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        collector = subprocess.Popen(
            [sys.executable, "-m", "touchstream", "collector"],
            env=env,
            start_new_session=True,
            stdout=subprocess.DEVNULL,
        )
        stop = threading.Event()
        try:
            wait_until(
                lambda: settings.pipeline_running_file.exists() or pipeline.poll() is not None, 240, "the pipeline"
            )
            if pipeline.poll() is not None:
                raise RuntimeError(f"the pipeline exited with {pipeline.returncode} before running its job")
            wait_until(lambda: port_open(settings.collector_port), 60, "the collector")
            memory = stack.enter_context(PeakRss(pipeline.pid))
            accepted_at: dict[str, float] = {}
            seen_at: dict[str, float] = {}
            sent = [0]
            feed_stop = threading.Event()
            probe_from = time.monotonic() + args.warmup
            probe_until = probe_from + args.seconds

            def feed() -> None:
                conn = http.client.HTTPConnection("127.0.0.1", settings.collector_port, timeout=10)
                interval = args.batch / args.rate
                next_at = time.monotonic()
                n = 0
                while not feed_stop.is_set() and not stop.is_set():
                    now_ms = int(time.time() * 1000)
                    events = []
                    probe = None
                    with_probes = probe_from <= time.monotonic() < probe_until
                    for i in range(args.batch):
                        n += 1
                        if with_probes and n % max(1, args.rate // 10) == 0:
                            probe = f"probe-{n}"
                            events.append(
                                {
                                    "event_id": f"p{n}",
                                    "user_id": probe,
                                    "channel": "app",
                                    "event": "order_success",
                                    "ts": now_ms,
                                    "sent_at": now_ms,
                                    "props": {"business": "plan", "product": "5g-199", "amount": 199},
                                }
                            )
                        else:
                            events.append(
                                {
                                    "event_id": f"b{n}",
                                    "user_id": f"u{n % 20000}",
                                    "channel": "web",
                                    "event": "page_view",
                                    "ts": now_ms - i,
                                    "sent_at": now_ms,
                                    "props": {"business": "data_pack"},
                                }
                            )
                    conn.request(
                        "POST", "/v1/collect", body=orjson.dumps(events), headers={"Content-Type": "application/json"}
                    )
                    response = conn.getresponse()
                    response.read()
                    if response.status == 200:
                        if with_probes:
                            sent[0] += len(events)
                        if probe:
                            accepted_at[probe] = time.time()
                    next_at += interval
                    time.sleep(max(0.0, next_at - time.monotonic()))

            feeder = threading.Thread(target=feed)
            feeder.start()
            watch_until = probe_until + options.lateness_ms / 1000 + 30
            while time.monotonic() < watch_until:
                pending = [p for p in accepted_at if p not in seen_at]
                if not pending and time.monotonic() > probe_until:
                    break
                pipe = client.pipeline(transaction=False)
                for p in pending:
                    pipe.hexists(tags_key(DEFAULT_PREFIX, p), TAG)
                now = time.time()
                for p, hit in zip(pending, pipe.execute(), strict=True):
                    if hit:
                        seen_at[p] = now
                time.sleep(0.02)
            feed_stop.set()
            feeder.join()
            elapsed = time.monotonic() - probe_from
        finally:
            stop.set()
            for process in (collector, pipeline):
                stop_process_group(process.pid, timeout=90)
            client.close()
            stop_embedded(settings)
        latencies = np.array([(seen_at[p] - accepted_at[p]) * 1000 for p in seen_at]) if seen_at else np.array([])
        print(
            orjson.dumps(
                {
                    "benchmark": "tag_latency",
                    "rate_target": args.rate,
                    "rate_achieved": round(sent[0] / args.seconds, 1),
                    "seconds": args.seconds,
                    "warmup_s": args.warmup,
                    "lateness_ms": options.lateness_ms,
                    "tag_batch_ms": options.tag_batch_ms,
                    "probes": len(accepted_at),
                    "probes_seen": len(seen_at),
                    "p50_ms": round(float(np.percentile(latencies, 50)), 1) if len(latencies) else None,
                    "p99_ms": round(float(np.percentile(latencies, 99)), 1) if len(latencies) else None,
                    "max_ms": round(float(latencies.max()), 1) if len(latencies) else None,
                    "continuous_events_per_s": processed_rate(seen_at),
                    "pipeline_peak_rss_mb": round(memory.peak_mb, 1),
                    "cores": os.cpu_count(),
                    "load_avg_1m": round(os.getloadavg()[0], 2),
                    "elapsed_s": round(elapsed, 1),
                }
            ).decode()
        )


if __name__ == "__main__":
    main()
