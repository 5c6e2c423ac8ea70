"""What a report can be cut by: a date range, a time grain and dimensions, each checked before any SQL.

Grains and dimensions are closed sets mapped to SQL fragments written here, so a caller's choice
selects a fragment and never reaches the query text; dates become bound epoch milliseconds.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from typing import Literal, get_args

from pydantic import model_validator

from core.clock import DAY_MS
from core.models import StrictModel

Grain = Literal["day", "week", "month", "quarter", "year", "total"]
GRAINS: tuple[Grain, ...] = get_args(Grain)

Dimension = Literal["slot", "slot_kind", "channel", "campaign", "business"]
DIMENSIONS: tuple[Dimension, ...] = get_args(Dimension)

MAX_CAMPAIGNS = 1000
"""A campaign filter names at most this many campaigns (each a bound value, like any other)."""
MAX_CAMPAIGN_CHARS = 512
"""The contract's longest prop value: a longer name cannot match any campaign."""

MAX_RANGE_DAYS = 3 * 366
"""Reports span at most three years: enough for year-over-year, bounded for the engine."""

_AT = "toDateTime(intDiv(at_ms, 1000), 'UTC')"
PERIOD_SQL: dict[Grain, str] = {
    "day": f"toDate({_AT})",
    "week": f"toMonday({_AT})",
    "month": f"toStartOfMonth({_AT})",
    "quarter": f"toStartOfQuarter({_AT})",
    "year": f"toStartOfYear({_AT})",
    "total": "toDate(toDateTime(intDiv({start_ms:UInt64}, 1000), 'UTC'))",
}
"""The first day of the period of ``at_ms`` (epoch ms, UTC); ``total`` is the range's first day."""

DIMENSION_SQL: dict[Dimension, str] = {
    "slot": "slot",
    "slot_kind": "arrayElement({slot_kinds:Array(String)}, indexOf({slot_names:Array(String)}, slot))",
    "channel": "channel",
    "campaign": "campaign",
    "business": "campaign_business",
}
"""Each dimension over a touch's columns; ``business`` is what the campaign sells ('' if unmapped)."""


class ReportInputError(ValueError):
    """A report was asked for with a grain, dimension, range or name it cannot take."""


class DateRange(StrictModel):
    """Whole UTC days from ``start`` to ``end``, both included."""

    start: dt.date
    end: dt.date

    @model_validator(mode="after")
    def _ordered_and_bounded(self) -> DateRange:
        if self.end < self.start:
            raise ValueError(f"the range ends ({self.end}) before it starts ({self.start})")
        if (self.end - self.start).days >= MAX_RANGE_DAYS:
            raise ValueError(f"a range covers at most {MAX_RANGE_DAYS} days")
        return self

    @classmethod
    def last(cls, days: int, today: dt.date | None = None) -> DateRange:
        """The ``days`` days ending with ``today`` (UTC)."""
        end = today or dt.datetime.now(dt.UTC).date()
        return cls(start=end - dt.timedelta(days=days - 1), end=end)

    @property
    def start_ms(self) -> int:
        return _day_ms(self.start)

    @property
    def end_ms(self) -> int:
        """Exclusive: the first millisecond after the last day."""
        return _day_ms(self.end) + DAY_MS

    def days(self) -> Iterator[dt.date]:
        day = self.start
        while day <= self.end:
            yield day
            day += dt.timedelta(days=1)


def _day_ms(day: dt.date) -> int:
    return int(dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC).timestamp()) * 1000


def period_start(grain: Grain, day: dt.date, period_range: DateRange) -> dt.date:
    """The period ``day`` falls in, as :data:`PERIOD_SQL` computes it in the warehouse."""
    if grain == "day":
        return day
    if grain == "week":
        return day - dt.timedelta(days=day.weekday())
    if grain == "month":
        return day.replace(day=1)
    if grain == "quarter":
        return day.replace(month=(day.month - 1) // 3 * 3 + 1, day=1)
    if grain == "year":
        return day.replace(month=1, day=1)
    return period_range.start


def check_grain(grain: str) -> Grain:
    if grain not in GRAINS:
        raise ReportInputError(f"unknown grain {grain!r}: one of {', '.join(GRAINS)}")
    return grain  # type: ignore[return-value]


def check_dimensions(dims: Sequence[str]) -> tuple[Dimension, ...]:
    unknown = [d for d in dims if d not in DIMENSIONS]
    if unknown:
        raise ReportInputError(f"unknown dimension(s) {unknown}: choose from {', '.join(DIMENSIONS)}")
    if len(set(dims)) != len(dims):
        raise ReportInputError(f"a dimension is repeated in {list(dims)}")
    return tuple(dims)  # type: ignore[arg-type]


def check_campaigns(campaigns: Sequence[str] | None) -> list[str] | None:
    """A campaign filter: ``None`` (all campaigns) or 1..1000 non-empty names of at most 512 characters."""
    if campaigns is None:
        return None
    names = list(campaigns)
    if not 0 < len(names) <= MAX_CAMPAIGNS:
        raise ReportInputError(f"name 1 to {MAX_CAMPAIGNS} campaigns, not {len(names)}")
    if any(not isinstance(n, str) or not 0 < len(n) <= MAX_CAMPAIGN_CHARS for n in names):
        raise ReportInputError(f"a campaign name is 1 to {MAX_CAMPAIGN_CHARS} characters of text")
    return names
