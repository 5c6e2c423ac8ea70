"""The collector's event log as a loader source, counted line by line into ``collector_log``.

The warehouse's events come from the stream job, deduplicated; only the log itself knows
how many lines the collector wrote (client resends included). The data-quality metrics
compare the two (``duplicate_events``). Each line becomes a narrow row: the day of its
event time, its channel and event (sql/schema/0201_collector_log.sql).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from core.config import Settings
from warehouse.base import Row
from warehouse.loader import Source

TABLE = "collector_log"


def collector_log_row(record: dict[str, Any], _file: str = "", _line: int = 0) -> Row:
    """An event-log record (docs/CONTRACTS.md) as a ``collector_log`` row; bad records raise."""
    ts_ms = record["ts"]
    if not isinstance(ts_ms, int) or isinstance(ts_ms, bool) or ts_ms < 0:
        raise ValueError(f"ts: not epoch milliseconds: {ts_ms!r}")
    day = dt.datetime.fromtimestamp(ts_ms / 1000, dt.UTC).date()
    return {"day": day.isoformat(), "channel": str(record["channel"]), "event": str(record["event"])}


def collector_log_source(settings: Settings) -> Source:
    """Load every complete segment of ``$TOUCHSTREAM_EVENT_LOG`` once into ``collector_log``."""
    assert settings.event_log is not None
    return Source("collector_log", settings.event_log, TABLE, collector_log_row, suffix=".jsonl", exactly_once=True)
