"""History goes into the event log in time order, validated and enriched like the collector does."""

from __future__ import annotations

from pathlib import Path

import orjson

from core.clock import DAY_MS, MINUTE_MS, now_ms
from core.config import Settings
from ingest.importer import import_events
from ingest.segments import read_segments
from touchstream.demo import DemoWorld, import_history


def write(path: Path, events: list[dict]) -> Path:
    path.write_bytes(b"".join(orjson.dumps(e) + b"\n" for e in events) + b"not json\n")
    return path


def test_import_sorts_by_event_time_and_quarantines_the_rest(settings: Settings, tmp_path: Path) -> None:
    t = now_ms() - DAY_MS
    events = [
        {"event_id": f"e{i}", "user_id": "u1", "channel": "web", "event": "page_view", "ts": t - i * MINUTE_MS}
        for i in range(5)
    ]
    events.append({"event_id": "b1", "user_id": "u1", "channel": "app", "event": "topup", "ts": t, "props": {}})
    events.append({"event_id": "bad{", "user_id": "u1", "channel": "web", "event": "page_view", "ts": t})
    report = import_events(settings, write(tmp_path / "history.jsonl", events))
    assert (report.lines, report.accepted, report.rejected) == (8, 5, 3)  # topup needs amount; bad id; not JSON
    assert settings.event_log is not None and settings.quarantine_log is not None
    logged = list(read_segments(settings.event_log))
    assert [e["event_id"] for e in logged] == ["e4", "e3", "e2", "e1", "e0"]
    assert all(e["ts"] == e["client_ts"] and e["received_at"] >= e["ts"] for e in logged)
    reasons = sorted(r["reason"].split(":")[0] for r in read_segments(settings.quarantine_log))
    assert reasons == ["event_id", "not valid JSON", "props"]


def test_demo_history_is_imported_once_per_home(settings: Settings) -> None:
    world = DemoWorld(users=20, days=1, seed=5)
    now = now_ms()
    first = import_history(settings, world, now=now)
    assert first.events > 0 and first.total == first.events
    again = import_history(settings, world, now=now)
    assert again.events == 0 and again.total == first.events
    later = import_history(settings, world, now=now + 30 * MINUTE_MS)  # what a stack that was down missed
    assert later.total == first.events + later.events
    assert settings.event_log is not None
    ids = [e["event_id"] for e in read_segments(settings.event_log)]
    assert len(ids) == len(set(ids)) == later.total
