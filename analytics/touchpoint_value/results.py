"""Touchpoint results and value per period and dimensions (seed 004).

value = publicity (exposures x unit audience value) + marketing (attributed orders x commission)
      + service (handled transactions x unit value) - cost allocated by share of clicks.
The warehouse counts (sql/touchpoints/results.sql); money is computed here from the parameters, so
changing a unit value never needs new SQL.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from analytics.touchpoint_value.compile import click_shares_query, results_query
from analytics.touchpoint_value.costs import allocate, period_costs
from analytics.touchpoint_value.dimensions import (
    DateRange,
    Dimension,
    Grain,
    check_campaigns,
    check_dimensions,
    check_grain,
)
from analytics.touchpoint_value.parameters import ValueParameters, default_parameters
from analytics.touchpoint_value.source import QuerySource, run
from core.contract.definitions import default_catalogue
from core.models import StrictModel


class ValueBreakdown(StrictModel):
    publicity_yuan: float
    marketing_yuan: float
    service_yuan: float
    cost_yuan: float

    @property
    def total_yuan(self) -> float:
        return self.publicity_yuan + self.marketing_yuan + self.service_yuan - self.cost_yuan

    def __add__(self, other: ValueBreakdown) -> ValueBreakdown:
        return ValueBreakdown(
            publicity_yuan=self.publicity_yuan + other.publicity_yuan,
            marketing_yuan=self.marketing_yuan + other.marketing_yuan,
            service_yuan=self.service_yuan + other.service_yuan,
            cost_yuan=self.cost_yuan + other.cost_yuan,
        )


class TouchpointRow(StrictModel):
    """One period and combination of dimension values."""

    period: dt.date
    dims: dict[str, str]
    exposures: int
    reach: int
    clicks: int
    conversions: int
    order_amount: float
    service_transactions: int
    value: ValueBreakdown

    @property
    def ctr(self) -> float | None:
        """Clicks per exposure."""
        return self.clicks / self.exposures if self.exposures else None

    @property
    def conversion_rate(self) -> float | None:
        """Attributed orders per exposure (seed 004's business conversion rate)."""
        return self.conversions / self.exposures if self.exposures else None

    def record(self) -> dict[str, Any]:
        """A flat dict for tables, charts and JSON."""
        return {
            "period": self.period.isoformat(),
            **self.dims,
            **self.model_dump(exclude={"period", "dims", "value"}),
            "ctr": self.ctr,
            "conversion_rate": self.conversion_rate,
            **self.value.model_dump(),
            "value_yuan": self.value.total_yuan,
        }


class TouchpointReport(StrictModel):
    period_range: DateRange
    grain: Grain
    dims: tuple[Dimension, ...]
    rows: list[TouchpointRow]
    unallocated_cost_yuan: float
    """Cost of channel-periods without a click to share it by."""

    def records(self) -> list[dict[str, Any]]:
        return [row.record() for row in self.rows]


def touchpoint_results(
    source: QuerySource,
    period_range: DateRange,
    grain: str = "day",
    dims: Sequence[str] = ("slot",),
    params: ValueParameters | None = None,
    campaigns: Sequence[str] | None = None,
) -> TouchpointReport:
    """Results and value per ``grain`` period and ``dims``; ``campaigns`` keeps only those campaigns."""
    grain_ = check_grain(grain)
    dims_ = check_dimensions(dims)
    campaigns = check_campaigns(campaigns)
    params = params or default_parameters()
    counted = run(source, results_query(period_range, grain_, dims_, params, campaigns))
    shares = run(source, click_shares_query(period_range, grain_, params))
    if campaigns is not None:
        wanted = set(campaigns)
        shares = [row for row in shares if row["campaign"] in wanted]
    allocation = allocate(shares, period_costs(params.cost, period_range, grain_), _grouping(dims_, params))
    rows = []
    for row in counted:
        key = tuple(str(row[d]) for d in dims_)
        counts = {
            name: int(row[name]) for name in ("exposures", "reach", "clicks", "conversions", "service_transactions")
        }
        value = ValueBreakdown(
            publicity_yuan=counts["exposures"] * params.publicity.unit_audience_value_yuan,
            marketing_yuan=counts["conversions"] * params.marketing.commission_yuan,
            service_yuan=counts["service_transactions"] * params.service.unit_value_yuan,
            cost_yuan=allocation.by_group.get((row["period"], key), 0.0),
        )
        rows.append(
            TouchpointRow(
                period=row["period"],
                dims=dict(zip(dims_, key, strict=True)),
                order_amount=float(row["order_amount"]),
                value=value,
                **counts,
            )
        )
    return TouchpointReport(
        period_range=period_range,
        grain=grain_,
        dims=dims_,
        rows=rows,
        unallocated_cost_yuan=allocation.unallocated_yuan,
    )


def _grouping(dims: Sequence[Dimension], params: ValueParameters) -> Callable[[Mapping[str, Any]], tuple[str, ...]]:
    """A click-share row's dimension values, computed as results.sql computes them."""
    kinds = {name: slot.kind for name, slot in default_catalogue().slots.items()}

    def values(row: Mapping[str, Any]) -> tuple[str, ...]:
        target = params.campaigns.get(row["campaign"])
        known = {
            "slot": row["slot"],
            "slot_kind": kinds.get(row["slot"], ""),
            "channel": row["channel"],
            "campaign": row["campaign"],
            "business": target.business if target else "",
        }
        return tuple(known[d] for d in dims)

    return values


def slot_results(
    source: QuerySource,
    period_range: DateRange,
    grain: str = "day",
    dims: Sequence[str] = (),
    params: ValueParameters | None = None,
) -> TouchpointReport:
    """Results per slot, further cut by ``dims`` (e.g. ``("channel",)``)."""
    return touchpoint_results(source, period_range, grain, _with("slot", dims), params)


def campaign_results(
    source: QuerySource,
    period_range: DateRange,
    grain: str = "day",
    dims: Sequence[str] = (),
    params: ValueParameters | None = None,
    campaigns: Sequence[str] | None = None,
) -> TouchpointReport:
    """Results per campaign, further cut by ``dims`` (e.g. ``("slot",)``)."""
    return touchpoint_results(source, period_range, grain, _with("campaign", dims), params, campaigns)


def value(
    source: QuerySource,
    period_range: DateRange,
    dims: Sequence[str] = ("channel",),
    grain: str = "total",
    params: ValueParameters | None = None,
) -> TouchpointReport:
    """The value of the whole range (or per ``grain``) by ``dims``: the seed's channel x type report."""
    return touchpoint_results(source, period_range, grain, dims, params)


def _with(first: str, dims: Sequence[str]) -> list[str]:
    return [first, *(d for d in dims if d != first)]
