"""What the read-only path costs on embedded chDB, and what a runaway query costs the loader.

    .venv/bin/python -m benchmarks.readonly [--rows 200000] [--repeat 50]

In a temporary directory: loads ``--rows`` events, then times ``--repeat`` runs of one
analyst query through ``Warehouse.query`` (trusted) and through ``query_untrusted`` (reader
session, engine parse with ``formatQuery``, limits, ``readonly=1``); then times loader-sized
inserts (1,000 rows) with the warehouse idle and while a person's runaway query runs until
its time limit stops it. Prints one JSON line; ratios compare runs of the same process.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import orjson

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core.config import ReadOnlyLimits  # noqa: E402
from warehouse import Warehouse, connect  # noqa: E402
from warehouse.base import LimitExceeded  # noqa: E402
from warehouse.migrations import migrate  # noqa: E402
from warehouse.sources import event_row  # noqa: E402

QUERY = "SELECT channel, count() AS n, uniqExact(user_id) AS users FROM events GROUP BY channel ORDER BY channel"
RUNAWAY = "SELECT count() FROM system.numbers WHERE NOT ignore(sleepEachRow(0.00001))"
LIMITS = ReadOnlyLimits(
    max_execution_s=3,
    max_result_rows=100_000,
    max_result_bytes=100_000_000,
    max_memory_bytes=2_000_000_000,
    max_rows_to_read=2_000_000_000,
    max_concurrent=2,
)


def rows(start: int, count: int) -> list[dict]:
    ts = 1_790_000_000_000
    return [
        event_row(
            {
                "event_id": f"e{i}",
                "user_id": f"u{i % 5000}",
                "channel": ("app", "web", "wechat")[i % 3],
                "event": "page_view",
                "ts": ts + i,
                "session_id": "s",
                "page": "/",
                "props": {},
                "received_at": ts + i,
                "ip": "127.0.0.1",
                "ua_browser": "",
                "ua_os": "",
                "ua_device": "",
            }
        )
        for i in range(start, start + count)
    ]


def timed_ms(action, repeat: int) -> list[float]:  # type: ignore[no-untyped-def]
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def summary(samples: list[float]) -> dict[str, float]:
    return {f"p{q}_ms": round(float(np.percentile(samples, q)), 2) for q in (50, 99)}


def inserts_during_runaway(wh: Warehouse, start: int, count: int) -> list[float]:
    stopped: list[Exception] = []

    def runaway() -> None:
        try:
            wh.query_untrusted(RUNAWAY, None, LIMITS)
        except LimitExceeded as exc:
            stopped.append(exc)

    thread = threading.Thread(target=runaway)
    thread.start()
    time.sleep(0.3)
    samples = []
    while thread.is_alive() and len(samples) < count:
        begun = time.perf_counter()
        wh.insert("events_store", rows(start + len(samples) * 1000, 1000))
        samples.append((time.perf_counter() - begun) * 1000)
    thread.join()
    assert stopped, "the runaway query was not stopped by its time limit"
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, connect(f"chdb://{tmp}/warehouse") as wh:
        migrate(wh)
        for start in range(0, args.rows, 50_000):
            wh.insert("events_store", rows(start, min(50_000, args.rows - start)))
        assert wh.query_untrusted(QUERY, None, LIMITS).rows == wh.query(QUERY).rows
        trusted = timed_ms(lambda: wh.query(QUERY), args.repeat)
        untrusted = timed_ms(lambda: wh.query_untrusted(QUERY, None, LIMITS), args.repeat)
        idle = timed_ms(lambda: wh.insert("events_store", rows(10**8, 1000)), 10)
        busy = inserts_during_runaway(wh, 2 * 10**8, 50)
    line = {
        "benchmark": "readonly",
        "engine": "chdb",
        "rows": args.rows,
        "repeat": args.repeat,
        "load_avg_1m": round(os.getloadavg()[0], 2),
        "query_trusted": summary(trusted),
        "query_untrusted": summary(untrusted),
        "untrusted_over_trusted_p50": round(float(np.percentile(untrusted, 50) / np.percentile(trusted, 50)), 2),
        "insert_1000_idle": summary(idle),
        "insert_1000_during_runaway": {**summary(busy), "inserts": len(busy)},
        "runaway_over_idle_p50": round(float(np.percentile(busy, 50) / np.percentile(idle, 50)), 2),
    }
    print(orjson.dumps(line).decode())


if __name__ == "__main__":
    main()
