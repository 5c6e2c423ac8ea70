"""Tag and audience sizes for the Tags page: who holds which tag now, and the saved audiences.

Trends of tag sets and clears are behaviour metrics (the ``tags`` family of
analytics/definitions/metrics/tags.yaml, through ``analytics.metrics``); this module adds the
two point-in-time views the metrics do not give: live tag sizes from ``tag_changes`` and saved
audiences from ``audiences`` (sql/tags/). The only values are bound parameters.
"""

from __future__ import annotations

import datetime as dt
from functools import cache

from analytics.query import QueryTarget, run_sql
from core.clock import DAY_MS
from core.clock import now_ms as wall_clock_ms
from core.models import StrictModel
from warehouse.migrations import SQL_DIR

MAX_ROWS = 1000
"""Tags and audiences listed at most; the catalogue has 61 tags, audiences are saved by hand."""


class TagSize(StrictModel):
    tag: str
    family: str
    users: int


class AudienceSize(StrictModel):
    audience: str
    members: int  # ever saved into it
    live_members: int  # whose latest save has not expired
    last_saved_ms: int
    expires_at_ms: int  # latest expiry of any member
    funnel: str  # of the latest save
    step_name: str
    breakdown_value: str


class AudienceSave(StrictModel):
    audience: str
    saved_ms: int
    members: int
    expires_at_ms: int


@cache
def _sql(name: str) -> str:
    return (SQL_DIR / "tags" / f"{name}.sql").read_text(encoding="utf-8")


def live_tag_sizes(target: QueryTarget, now_ms: int | None = None, limit: int = MAX_ROWS) -> list[TagSize]:
    """Users holding each behaviour tag at ``now_ms`` (default: now), largest first."""
    now = wall_clock_ms() if now_ms is None else now_ms
    rows = run_sql(target, _sql("live_tag_sizes"), {"now_ms": now, "limit": _bounded(limit)}).as_dicts()
    return [TagSize(tag=r["tag"], family=r["family"], users=int(r["users"])) for r in rows]


def audience_sizes(target: QueryTarget, now_ms: int | None = None, limit: int = MAX_ROWS) -> list[AudienceSize]:
    """Every saved audience with its members ever and now, most recently saved first."""
    now = wall_clock_ms() if now_ms is None else now_ms
    rows = run_sql(target, _sql("audience_sizes"), {"now_ms": now, "limit": _bounded(limit)}).as_dicts()
    return [AudienceSize.model_validate(r) for r in rows]


def audience_saves(target: QueryTarget, start: dt.date, end: dt.date, limit: int = MAX_ROWS) -> list[AudienceSave]:
    """Each save of each audience between the UTC days ``start`` and ``end`` (both included)."""
    if end < start:
        raise ValueError(f"the range ends ({end}) before it starts ({start})")
    params = {"from_ms": _day_ms(start), "to_ms": _day_ms(end) + DAY_MS, "limit": _bounded(limit)}
    rows = run_sql(target, _sql("audience_saves"), params).as_dicts()
    return [AudienceSave.model_validate(r) for r in rows]


def _bounded(limit: int) -> int:
    return max(1, min(int(limit), MAX_ROWS))


def _day_ms(day: dt.date) -> int:
    return (day - dt.date(1970, 1, 1)).days * DAY_MS
