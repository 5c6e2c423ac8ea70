"""Backfill throughput: N generated events through the whole job (SQL + tag engine + Redis).

    .venv/bin/python -m benchmarks.pipeline --events 1000000

Prints one JSON line. Everything lives in a temporary home that is removed afterwards.
"""

from __future__ import annotations

import argparse
import itertools
import sys
import tempfile
import time
from pathlib import Path

import orjson

from flink_jobs.cli_entry import run_backfill
from flink_jobs.options import JobOptions
from tagging.profiles import stop_embedded
from touchstream.config import load_settings
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


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--users", type=int, default=20_000)
    parser.add_argument("--days", type=int, default=30)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="ts-bench-") as tmp:
        settings = load_settings(env={}, home=Path(tmp))
        files = write_segments(settings.event_log, args.events, args.users, args.days)
        lines = sum(1 for f in files for _ in f.open("rb"))
        started = time.perf_counter()
        try:
            run_backfill(settings, files, JobOptions())
        finally:
            stop_embedded(settings)
        seconds = time.perf_counter() - started
    result = {
        "benchmark": "pipeline_backfill",
        "events": lines,
        "seconds": round(seconds, 1),
        "events_per_s": round(lines / seconds),
    }
    sys.stdout.write(orjson.dumps(result).decode() + "\n")


if __name__ == "__main__":
    main()
