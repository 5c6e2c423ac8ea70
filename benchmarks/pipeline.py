"""Backfill throughput: N generated events through the whole job (SQL + tag engine + Redis).

    .venv/bin/python -m benchmarks.pipeline --events 1000000 [--baseline]

``--baseline`` then runs the same backfill with every step in Python
(:mod:`flink_jobs.python_baseline`, which tests check writes the same outputs) over the same
files, in the same process, and reports the ratio. Peak RSS is that of this process and
its children (the JVM with the MiniCluster and the embedded Python workers). Prints one
JSON line. Everything lives in a temporary home that is removed afterwards.
"""

from __future__ import annotations

import argparse
import itertools
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import orjson

from benchmarks.memory import PeakRss
from core.config import load_settings
from flink_jobs.backfill import run_backfill
from flink_jobs.options import JobOptions, JobPaths
from flink_jobs.python_baseline import build_python_job
from tagging.profiles import redis_for
from touchstream.traffic.generate import generate_world

SEGMENT_LINES = 50_000


def write_segments(directory: Path, events: int, users: int, days: int) -> list[Path]:
    directory.mkdir(parents=True)
    files: list[Path] = []
    stream = itertools.islice(generate_world(users, days, seed=1), events)
    for index in itertools.count():
        chunk = list(itertools.islice(stream, SEGMENT_LINES))
        if not chunk:
            return files
        path = directory / f"seg-{index:013d}-1-{index:06d}.jsonl"
        path.write_bytes(b"".join(orjson.dumps(e) + b"\n" for e in chunk))
        files.append(path)
    return files


def timed(run: Callable[[], None]) -> dict[str, float]:
    with PeakRss() as rss:
        started = time.perf_counter()
        run()
        seconds = time.perf_counter() - started
    return {"seconds": round(seconds, 1), "peak_rss_mb": round(rss.peak_mb)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--users", type=int, default=20_000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--baseline", action="store_true", help="also run the all-Python job and report the ratio")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="ts-bench-") as tmp:
        settings = load_settings(env={}, home=Path(tmp))
        files = write_segments(settings.event_log, args.events, args.users, args.days)
        lines = sum(1 for f in files for _ in f.open("rb"))
        horizon = int(time.time() * 1000)
        with redis_for(settings) as redis_url:  # one Redis for both jobs, stopped at the end
            reports = []
            total = timed(
                lambda: reports.append(
                    run_backfill(settings, files, JobOptions(horizon_ms=horizon, redis_prefix="sql"))
                )
            )
            job_seconds = round(reports[0].seconds, 1)  # the job alone, as the baseline is timed
            result: dict[str, object] = {
                "benchmark": "pipeline_backfill",
                "events": lines,
                "seconds": job_seconds,
                "peak_rss_mb": total["peak_rss_mb"],
                "events_per_s": round(lines / job_seconds),
                "with_warehouse_load_seconds": total["seconds"],
            }
            if args.baseline:
                paths = JobPaths(settings.home / "baseline")
                options = JobOptions(horizon_ms=horizon, redis_prefix="python")
                job = build_python_job(files, paths, options, redis_url)
                python = timed(lambda: job.env.execute(job.name))
                result["python_baseline"] = {**python, "events_per_s": round(lines / python["seconds"])}
                result["ratio_vs_python"] = round(python["seconds"] / job_seconds, 2)
    result["cores"] = os.cpu_count()
    result["load_avg_1m"] = round(os.getloadavg()[0], 2)
    sys.stdout.write(orjson.dumps(result).decode() + "\n")


if __name__ == "__main__":
    main()
