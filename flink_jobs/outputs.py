"""The job's FileSink outputs as warehouse loader sources (JSON lines -> ClickHouse rows).

Each output directory holds part files that Flink made visible only when a checkpoint
committed them. ``events`` is THE events table: loaded exactly once (warehouse/loader.py),
read without FINAL. The other tables (sql/schema/01xx_*.sql) are ReplacingMergeTrees keyed so
that a file loaded twice never double counts through their FINAL views. ``profile_states`` is
not loaded: it exists so Redis can be repaired after a hard kill.
"""

from __future__ import annotations

from typing import Any

import orjson

from core.config import Settings
from flink_jobs.options import JobPaths
from warehouse.base import Row
from warehouse.loader import Source
from warehouse.sources import EVENTS_TABLE, event_row


def _ms(record: dict[str, Any], key: str) -> int:
    value = record[key]
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValueError(f"{key}: not epoch milliseconds: {value!r}")
    return value


def _event_identity(record: dict[str, Any]) -> dict[str, Any]:
    """The columns every per-event output shares."""
    ts_ms = _ms(record, "ts_ms")
    return {
        "event_id": str(record["event_id"]),
        "user_id": str(record["user_id"]),
        "channel": str(record["channel"]),
        "event": str(record["event"]),
        "ts": ts_ms // 1000,
        "ts_ms": ts_ms,
        "received_ms": _ms(record, "received_ms"),
    }


def job_event_row(record: dict[str, Any], _file: str = "", _line: int = 0) -> Row:
    """The job's ``events`` output (``{"line": <event-log record as text>, "late": bool}``) as a row."""
    event = orjson.loads(record["line"])
    if not isinstance(event, dict):
        raise ValueError("line: not a JSON object")
    return {**event_row(event), "late": 1 if record.get("late") else 0}


def minute_metric_row(record: dict[str, Any], _file: str = "", _line: int = 0) -> Row:
    return {
        "minute": _ms(record, "minute_ms") // 1000,
        "channel": str(record["channel"]),
        "event": str(record["event"]),
        "business": str(record.get("business") or ""),
        "events": int(record["events"]),
        "users": int(record["users"]),
        "amount": float(record.get("amount") or 0.0),
    }


def late_event_row(record: dict[str, Any], _file: str = "", _line: int = 0) -> Row:
    return _event_identity(record)


def reject_row(record: dict[str, Any], file: str, line: int) -> Row:
    return {"reason": str(record["reason"]), "line": str(record["line"]), "source_file": file, "source_line": line}


def tag_change_row(record: dict[str, Any], _file: str = "", _line: int = 0) -> Row:
    ts_ms = _ms(record, "ts_ms")
    action = record["action"]
    if action not in ("set", "cleared"):
        raise ValueError(f"action: {action!r}")
    expires = record.get("expires_at_ms")
    set_at = record.get("set_at_ms")
    return {
        "user_id": str(record["user_id"]),
        "tag": str(record["tag"]),
        "action": action,
        "ts": ts_ms // 1000,
        "ts_ms": ts_ms,
        "expires_at_ms": None if expires is None else int(expires),
        "seq": int(record["seq"]),
        "set_at_ms": None if set_at is None else int(set_at),
    }


def warehouse_sources(settings: Settings) -> list[Source]:
    """Loader sources for the job's outputs under ``settings.home/flink/out``."""
    out = JobPaths.of(settings)
    return [
        Source("events", out.output("events"), EVENTS_TABLE, job_event_row, exactly_once=True),
        Source("minute_metrics", out.output("minute_metrics"), "minute_metrics_raw", minute_metric_row),
        Source("late_events", out.output("late_events"), "late_events_raw", late_event_row),
        Source("stream_rejects", out.output("rejects"), "stream_rejects_raw", reject_row),
        Source("tag_changes", out.output("tag_changes"), "tag_changes_raw", tag_change_row),
    ]
