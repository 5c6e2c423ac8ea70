"""How long the touchpoint reports take on embedded chDB, against a bare scan of the same touches.

    .venv/bin/python -m benchmarks.touchpoint_value [--users 20000] [--days 14] [--repeat 3]

In a temporary directory: generates the synthetic world (touchstream/traffic/), adds one
``touchpoint_decision`` per exposure (a tenth of the users held out instead of shown, so lift
has both groups), loads it, then times each view the UI and the CLI run (median of
``--repeat``) and a baseline in the same run: exposures per slot straight from the events, the
least any touchpoint report must read. Prints one JSON line; ratios compare runs of one process.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import tempfile
import time
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from analytics.touchpoint_value import DateRange, default_parameters, lift, rank_slots, touchpoint_results  # noqa: E402
from analytics.touchpoint_value.compile import Query, results_query  # noqa: E402
from touchstream.traffic.generate import generate_world  # noqa: E402
from warehouse import Warehouse, connect  # noqa: E402
from warehouse.migrations import migrate  # noqa: E402
from warehouse.sources import insert_events  # noqa: E402

START = dt.date(2026, 9, 1)
BASELINE = (
    "SELECT slot, count() AS exposures FROM events "
    "WHERE event = 'touchpoint_exposure' AND ts_ms >= {start_ms:UInt64} AND ts_ms < {end_ms:UInt64} "
    "GROUP BY slot ORDER BY slot"
)


def events_with_decisions(users: int, days: int, seed: int) -> Iterator[dict[str, Any]]:
    """The generated world as event-log records, each exposure preceded by the decision that chose it."""
    start_ms = int(dt.datetime(START.year, START.month, START.day, tzinfo=dt.UTC).timestamp()) * 1000
    for event in generate_world(users, days, seed, start_ms):
        record = {**event, "received_at": event["ts"], "ip": "127.0.0.1"}
        if event["event"] in ("touchpoint_exposure", "touchpoint_click"):
            props = event["props"]
            held_out = zlib.crc32(event["user_id"].encode()) % 10 == 0
            if held_out:
                if event["event"] == "touchpoint_exposure":  # the decision, and nothing shown
                    yield {
                        **record,
                        "event_id": props["decision_id"],
                        "event": "touchpoint_decision",
                        "props": decision_props(props, held_out=True),
                    }
                continue
            if event["event"] == "touchpoint_exposure":
                yield {
                    **record,
                    "event_id": props["decision_id"],
                    "event": "touchpoint_decision",
                    "props": decision_props(props, held_out=False),
                }
        yield record


def decision_props(touch: dict[str, Any], held_out: bool) -> dict[str, Any]:
    return {
        "decision_id": touch["decision_id"],
        "request_id": f"r-{touch['decision_id']}",
        "slot": touch["slot"],
        "campaigns": "" if held_out else touch["campaign"],
        "tiers": "" if held_out else "precision",
        "reason": "holdout" if held_out else "shown",
        "holdout": touch["campaign"] if held_out else "",
    }


def load(wh: Warehouse, records: Iterator[dict[str, Any]], batch: int = 50_000) -> int:
    total, buffer = 0, []
    for record in records:
        buffer.append(record)
        if len(buffer) >= batch:
            total += insert_events(wh, buffer)
            buffer = []
    return total + insert_events(wh, buffer)


def without_final(wh: Warehouse, query: Query) -> object:
    """The same statement on ``events_raw``: what deduplicating at read time (the view's FINAL) costs."""
    return wh.query(query.sql.replace("FROM events\n", "FROM events_raw\n"), query.params)


def median_ms(run: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append((time.perf_counter() - started) * 1000)
    return round(statistics.median(times), 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=20_000)
    parser.add_argument("--days", type=int, default=14)
    parser.add_argument("--seed", type=int, default=4)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    span = DateRange(start=START, end=START + dt.timedelta(days=args.days - 1))
    with tempfile.TemporaryDirectory() as tmp, connect(f"chdb://{tmp}/warehouse") as wh:
        migrate(wh)
        loaded = load(wh, events_with_decisions(args.users, args.days, args.seed))
        touch_events = wh.query(
            "SELECT count() FROM events WHERE event IN ('touchpoint_exposure', 'touchpoint_click')"
        ).scalar()
        bounds = {"start_ms": span.start_ms, "end_ms": span.end_ms}
        params = default_parameters()
        views: dict[str, Callable[[], object]] = {
            "baseline_exposures_per_slot": lambda: wh.query(BASELINE, bounds),
            "results_day_slot": lambda: touchpoint_results(wh, span, "day", ("slot",)),
            "results_week_channel_campaign": lambda: touchpoint_results(wh, span, "week", ("channel", "campaign")),
            "results_total_slot_kind": lambda: touchpoint_results(wh, span, "total", ("slot_kind",)),
            "results_total_slot_kind_no_final": lambda: without_final(
                wh, results_query(span, "total", ("slot_kind",), params)
            ),
            "lift_total": lambda: lift(wh, span),
            "rank_broadband_day": lambda: rank_slots(wh, "broadband", span, "day"),
        }
        timings = {name: median_ms(run, args.repeat) for name, run in views.items()}
    baseline = timings["baseline_exposures_per_slot"]
    line = {
        "benchmark": "touchpoint_value",
        "engine": "chdb",
        "users": args.users,
        "days": args.days,
        "events": loaded,
        "touch_events": touch_events,
        "repeat": args.repeat,
        "load_avg_1m": round(os.getloadavg()[0], 2),
        "median_ms": timings,
        "over_baseline": {name: round(ms / baseline, 1) for name, ms in timings.items() if ms != baseline},
    }
    print(orjson.dumps(line).decode())


if __name__ == "__main__":
    main()
