"""Time units in milliseconds (every timestamp in Touchstream is epoch ms) and the wall clock."""

from __future__ import annotations

import datetime as dt
import re
import time

SECOND_MS = 1_000
MINUTE_MS = 60 * SECOND_MS
HOUR_MS = 60 * MINUTE_MS
DAY_MS = 24 * HOUR_MS


def now_ms() -> int:
    """The server's wall clock in epoch milliseconds."""
    return time.time_ns() // 1_000_000


_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def parse_day(text: str) -> dt.date:
    """A calendar day written strictly ``YYYY-MM-DD`` (Python alone also takes ``20260101``)."""
    if not _ISO_DAY.fullmatch(text):
        raise ValueError(f"{text[:40]!r} is not a date YYYY-MM-DD")
    return dt.date.fromisoformat(text)
