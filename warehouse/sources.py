"""The built-in loader sources: the collector's event log and its quarantine log."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from core.config import Settings
from warehouse.base import Row, Warehouse
from warehouse.loader import Source


def prop_arrays(props: dict[str, Any]) -> tuple[list[str], list[str]]:
    """Props as parallel arrays of text (ClickHouse 18.16 has no Map)."""
    keys = list(props)
    values = []
    for value in props.values():
        if isinstance(value, bool):
            values.append("true" if value else "false")
        elif isinstance(value, float) and value.is_integer():
            values.append(str(int(value)))
        else:
            values.append(str(value))
    return keys, values


def event_row(record: dict[str, Any], _file: str = "", _line: int = 0) -> Row:
    """An event-log record (docs/CONTRACTS.md) as an ``events_raw`` row."""
    keys, values = prop_arrays(record.get("props") or {})
    ts_ms = int(record["ts"])
    received_ms = int(record["received_at"])
    return {
        "event_id": str(record["event_id"]),
        "user_id": str(record["user_id"]),
        "channel": str(record["channel"]),
        "event": str(record["event"]),
        "ts": ts_ms // 1000,
        "ts_ms": ts_ms,
        "received_at": received_ms // 1000,
        "received_ms": received_ms,
        "session_id": str(record.get("session_id") or ""),
        "page": str(record.get("page") or ""),
        "prop_keys": keys,
        "prop_values": values,
        "ip": str(record.get("ip") or ""),
        "ua_browser": str(record.get("ua_browser") or ""),
        "ua_os": str(record.get("ua_os") or ""),
        "ua_device": str(record.get("ua_device") or ""),
    }


EVENTS_TABLE = "events_raw"
"""The table the accepted events are inserted into (analysts read the ``events`` view over it)."""


def insert_events(warehouse: Warehouse, records: Iterable[dict[str, Any]]) -> int:
    """Insert event-log records (docs/CONTRACTS.md) as events; tests and tools use this."""
    return warehouse.insert(EVENTS_TABLE, [event_row(r) for r in records])


def quarantine_row(record: dict[str, Any], file: str, line: int) -> Row:
    received_ms = int(record["received_at"])
    return {
        "received_at": received_ms // 1000,
        "received_ms": received_ms,
        "ip": str(record.get("ip") or ""),
        "batch_index": int(record.get("index", -1)),
        "reason": str(record["reason"]),
        "raw": str(record.get("raw") or ""),
        "source_file": file,
        "line": line,
    }


def collector_sources(settings: Settings) -> list[Source]:
    return [
        Source("events", settings.event_log, EVENTS_TABLE, event_row, suffix=".jsonl"),
        Source("quarantine", settings.quarantine_log, "quarantine_raw", quarantine_row, suffix=".jsonl"),
    ]
