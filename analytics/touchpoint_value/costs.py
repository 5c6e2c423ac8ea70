"""Share each channel's cost out among its touchpoints by their share of the channel's clicks (seed 004).

A channel's cost is configured per calendar period (e.g. 30,000 yuan a month); each day carries its
period's cost divided by the period's length in days, and a report period the sum of its days inside
the range. Within a report period and channel, a touchpoint (slot and campaign) bears the cost in
proportion to its clicks. A channel with cost but no click in a period has nothing to share it by:
that cost is reported as unallocated rather than invented onto someone.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from analytics.touchpoint_value.dimensions import DateRange, Grain, period_start
from analytics.touchpoint_value.parameters import Cost, CostPeriod

GroupKey = tuple[dt.date, tuple[str, ...]]
"""A report row's identity: its period and its dimension values in order."""


@dataclass(frozen=True)
class CostAllocation:
    by_group: dict[GroupKey, float] = field(default_factory=dict)
    unallocated_yuan: float = 0.0


def days_in_cost_period(period: CostPeriod, day: dt.date) -> int:
    """Length in days of the calendar ``period`` that contains ``day``."""
    if period == "day":
        return 1
    if period == "week":
        return 7
    if period == "month":
        return calendar.monthrange(day.year, day.month)[1]
    if period == "quarter":
        first = (day.month - 1) // 3 * 3 + 1
        return sum(calendar.monthrange(day.year, m)[1] for m in range(first, first + 3))
    return 366 if calendar.isleap(day.year) else 365


def period_costs(cost: Cost, period_range: DateRange, grain: Grain) -> dict[tuple[dt.date, str], float]:
    """Each (report period, channel)'s cost: the sum of its days' share of the configured amounts."""
    totals: dict[tuple[dt.date, str], float] = defaultdict(float)
    for day in period_range.days():
        period = period_start(grain, day, period_range)
        for channel, amount in cost.per_channel_yuan.items():
            if amount:
                totals[(period, channel)] += amount / days_in_cost_period(cost.period, day)
    return dict(totals)


def allocate(
    click_shares: Iterable[Mapping[str, Any]],
    costs: Mapping[tuple[dt.date, str], float],
    group_of: Callable[[Mapping[str, Any]], tuple[str, ...]],
) -> CostAllocation:
    """Share ``costs`` by clicks; ``click_shares`` rows: period, channel, slot, campaign, clicks.

    ``group_of`` maps a row to the report's dimension values, so costs sum into the report's rows.
    """
    rows = list(click_shares)
    clicks_in: dict[tuple[dt.date, str], int] = defaultdict(int)
    for row in rows:
        clicks_in[(row["period"], row["channel"])] += int(row["clicks"])
    by_group: dict[GroupKey, float] = defaultdict(float)
    for row in rows:
        period_channel = (row["period"], row["channel"])
        share = int(row["clicks"]) / clicks_in[period_channel]
        by_group[(row["period"], group_of(row))] += costs.get(period_channel, 0.0) * share
    unallocated = sum(amount for key, amount in costs.items() if not clicks_in.get(key))
    return CostAllocation(dict(by_group), unallocated)
