"""Event-log records as warehouse rows, and the collector's quarantine log as a loader source.

The accepted events reach the warehouse through the stream job (its deduplicated output,
flink_jobs/outputs.py); the mapping of a record to an ``events_store`` row lives here so
that the job's loader source, the tests and tools share it.
"""

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
    client_ts = record.get("client_ts")
    return {
        "event_id": str(record["event_id"]),
        "user_id": str(record["user_id"]),
        "channel": str(record["channel"]),
        "event": str(record["event"]),
        "ts": ts_ms // 1000,
        "ts_ms": ts_ms,
        "client_ts_ms": ts_ms if client_ts is None else int(client_ts),
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
        "late": 0,
    }


EVENTS_TABLE = "events_store"
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


def quarantine_source(settings: Settings) -> Source:
    """The collector's quarantine log (rejected events with their reasons)."""
    assert settings.quarantine_log is not None
    return Source("quarantine", settings.quarantine_log, "quarantine_raw", quarantine_row, suffix=".jsonl")
