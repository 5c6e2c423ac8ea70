"""Time units in milliseconds (every timestamp in Touchstream is epoch ms) and the wall clock."""

from __future__ import annotations

import time

SECOND_MS = 1_000
MINUTE_MS = 60 * SECOND_MS
HOUR_MS = 60 * MINUTE_MS
DAY_MS = 24 * HOUR_MS


def now_ms() -> int:
    """The server's wall clock in epoch milliseconds."""
    return time.time_ns() // 1_000_000
