"""The Redis key layout of a profile (documented in docs/tags.md; the touchpoint service reads it).

All of a user's keys share the hash tag ``{user_id}`` so they live on one Redis Cluster slot
and a Lua script may touch them together.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

from core.clock import DAY_MS

DEFAULT_PREFIX = "ts"


def tags_key(prefix: str, user_id: str) -> str:
    """Hash: tag -> ``"<set_at>:<expires_at or empty>"`` for the tags that are set."""
    return f"{prefix}:{{{user_id}}}:tags"


def versions_key(prefix: str, user_id: str) -> str:
    """Hash: tag -> ``"<ts_ms>:<seq>"`` of the last change applied (cleared tags included)."""
    return f"{prefix}:{{{user_id}}}:tagv"


def state_key(prefix: str, user_id: str) -> str:
    """Hash: business-state field -> JSON value; ``_v`` is the event time of that state."""
    return f"{prefix}:{{{user_id}}}:state"


def contacts_key(prefix: str, user_id: str) -> str:
    """Hash of contact counters: ``c:<campaign>``, ``s:<slot>``, the same with ``:d:<YYYYMMDD>``
    (per UTC day), and ``last:c:<campaign>`` / ``last:s:<slot>`` (latest contact ts)."""
    return f"{prefix}:{{{user_id}}}:contacts"


def utc_day(ts_ms: int) -> str:
    """``YYYYMMDD``, the day suffix of contact counters."""
    return dt.datetime.fromtimestamp(ts_ms / 1000, dt.UTC).strftime("%Y%m%d")


def utc_date(ts_ms: int) -> str:
    """``YYYY-MM-DD``, as dates are shown on the profile (``broadband_expires_on`` too)."""
    return _date_of_day(ts_ms // DAY_MS)


@lru_cache(maxsize=4096)
def _date_of_day(day: int) -> str:  # called per event: format each day once
    return dt.datetime.fromtimestamp(day * 86_400, dt.UTC).strftime("%Y-%m-%d")
