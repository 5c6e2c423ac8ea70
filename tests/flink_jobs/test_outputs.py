"""Job outputs load into both ClickHouse engines exactly once; options and snapshots resolve."""

from __future__ import annotations

import os
import time
from pathlib import Path

import orjson
import pytest

from core.config import Settings
from flink_jobs.options import JobOptions, JobPaths
from flink_jobs.outputs import job_event_row, warehouse_sources
from flink_jobs.recovery import latest_snapshot
from warehouse import Warehouse
from warehouse.loader import Loader

MINUTE = 1_790_000_040_000


def write(directory: Path, name: str, records: list[dict]) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / name).write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in records))


def test_outputs_load_once_and_replays_do_not_double_count(wh: Warehouse, settings: Settings) -> None:
    out = JobPaths.of(settings)
    record = {
        "event_id": "e1", "user_id": "u1", "channel": "app", "event": "page_view", "ts": MINUTE + 5,
        "client_ts": MINUTE + 7, "sent_at": None, "received_at": MINUTE + 50, "session_id": "s", "page": "/",
        "props": {"business": "plan"}, "ip": "127.0.0.1", "ua_browser": "", "ua_os": "", "ua_device": "",
    }  # fmt: skip
    event = {"line": orjson.dumps(record).decode(), "late": True}
    metric = {"minute_ms": MINUTE, "channel": "app", "event": "page_view", "business": "plan",
              "events": 3, "users": 2, "amount": 0.0}  # fmt: skip
    late = {"event_id": "e1", "user_id": "u1", "channel": "app", "event": "page_view", "ts_ms": MINUTE + 5,
            "received_ms": MINUTE + 50}  # fmt: skip
    change = {"user_id": "u1", "tag": "browser:plan", "action": "set", "ts_ms": MINUTE, "expires_at_ms": None, "seq": 1}
    write(out.output("events"), "part-a-0-0", [event])
    write(out.output("minute_metrics"), "part-a-0-0", [metric])
    write(out.output("minute_metrics"), "part-b-0-0", [metric])  # a backfill re-counting the minute
    write(out.output("late_events"), "part-a-0-0", [late])
    write(out.output("rejects"), "part-a-0-0", [{"reason": "not a JSON object", "line": "x"}])
    write(out.output("tag_changes"), "part-a-0-0", [change, {**change, "action": "bogus", "seq": 2}])
    write(out.output("tag_changes"), ".part-c-0-0.inprogress.x", [change])  # not committed: ignored
    report = Loader(wh, warehouse_sources(settings)).load_pending()
    assert report.bad_lines == 1  # the bogus action
    assert Loader(wh, warehouse_sources(settings)).load_pending().files == 0

    def count(sql: str) -> int:
        return int(wh.query(sql).scalar())

    assert count("SELECT count() FROM events") == 1
    row = wh.query("SELECT ts_ms, client_ts_ms, late, business, source_file FROM events_store").rows
    assert row == [(MINUTE + 5, MINUTE + 7, 1, "plan", "events/part-a-0-0")]
    assert count("SELECT sum(events) FROM minute_metrics") == 3
    assert count("SELECT count() FROM late_events") == 1
    assert count("SELECT count() FROM stream_rejects") == 1
    assert count("SELECT count() FROM tag_changes WHERE tag = 'browser:plan'") == 1


def test_events_load_exactly_once_after_a_crash_mid_file(wh: Warehouse, settings: Settings) -> None:
    """A loader that died after inserting part of a file (``loading`` recorded, no ``done``) removes
    those rows and loads the file again: the events table never needs FINAL."""
    out = JobPaths.of(settings)
    records = [
        {"line": orjson.dumps({"event_id": f"e{i}", "user_id": "u1", "channel": "web", "event": "click",
                               "ts": MINUTE + i, "received_at": MINUTE + i, "props": {}}).decode(), "late": False}
        for i in range(5)
    ]  # fmt: skip
    write(out.output("events"), "part-x-0-0", records)
    (source,) = [s for s in warehouse_sources(settings) if s.name == "events"]
    loader = Loader(wh, [source])
    loader._record(source, out.output("events") / "part-x-0-0", "loading")
    wh.insert("events_store", [{**job_event_row(r), "source_file": "events/part-x-0-0"} for r in records[:3]])
    assert Loader(wh, [source]).load_pending().rows == 5
    assert wh.query("SELECT count() FROM events").scalar() == 5
    assert sorted(r[0] for r in wh.query("SELECT event_id FROM events").rows) == [f"e{i}" for i in range(5)]
    assert Loader(wh, [source]).load_pending().files == 0


def test_options_from_env() -> None:
    options = JobOptions.load({"TOUCHSTREAM_FLINK_LATENESS_MS": "5000", "TOUCHSTREAM_FLINK_TAG_DEFINITIONS": "/d"})
    assert options.lateness_ms == 5000 and options.tag_definitions == Path("/d")
    assert options.checkpoint_interval_ms == JobOptions.load({}).checkpoint_interval_ms
    with pytest.raises(ValueError, match="checkpoint_interval_ms"):
        JobOptions.load({"TOUCHSTREAM_FLINK_CHECKPOINT_INTERVAL_MS": "often"})
    with pytest.raises(ValueError, match="lateness_ms"):
        JobOptions.load({"TOUCHSTREAM_FLINK_LATENESS_MS": "-1"})


def test_latest_snapshot_ignores_incomplete(tmp_path: Path) -> None:
    paths = JobPaths(tmp_path)
    assert latest_snapshot(paths) is None
    old = paths.checkpoints / "job1" / "chk-3"
    new = paths.savepoints / "savepoint-abc"
    cut_short = paths.checkpoints / "job2" / "chk-9"  # no _metadata: the kill came first
    for directory in (old, new, cut_short):
        directory.mkdir(parents=True)
    (old / "_metadata").write_bytes(b"x")
    (new / "_metadata").write_bytes(b"x")
    past = time.time() - 60
    os.utime(old / "_metadata", (past, past))
    assert latest_snapshot(paths) == new
