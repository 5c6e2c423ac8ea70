"""One entry point for the three touchpoint views (results, lift, rank) as flat records and display text.

``touchstream report touchpoints`` prints these; keeping the choice of columns and their formats
here leaves the CLI a thin shell and lets the UI show the same figures the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

from analytics.touchpoint_value.dimensions import DateRange, ReportInputError
from analytics.touchpoint_value.lift import lift
from analytics.touchpoint_value.parameters import ValueParameters
from analytics.touchpoint_value.ranking import rank_slots
from analytics.touchpoint_value.results import touchpoint_results
from analytics.touchpoint_value.source import QuerySource

View = Literal["results", "lift", "rank"]
VIEWS: tuple[View, ...] = get_args(View)

RESULT_COLUMNS = (
    "exposures",
    "reach",
    "clicks",
    "ctr",
    "conversions",
    "conversion_rate",
    "service_transactions",
    "publicity_yuan",
    "marketing_yuan",
    "service_yuan",
    "cost_yuan",
    "value_yuan",
)
LIFT_COLUMNS = (
    "campaign",
    "treated_users",
    "treated_conversions",
    "control_users",
    "control_conversions",
    "excluded_users",
    "treated_rate",
    "control_rate",
    "difference",
    "difference_low",
    "difference_high",
    "ratio",
    "p_value",
    "significant",
)
RANK_COLUMNS = (
    "rank",
    "slot",
    "channel",
    "slot_kind",
    "exposures",
    "clicks",
    "conversions",
    "service_transactions",
    "value_yuan",
    "active_periods",
    "value_per_period",
)
RATES = {"ctr", "conversion_rate", "treated_rate", "control_rate", "difference", "difference_low", "difference_high"}


@dataclass(frozen=True)
class Report:
    view: View
    period_range: DateRange
    grain: str
    columns: list[str]
    records: list[dict[str, Any]]
    notes: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {
            "view": self.view,
            "from": self.period_range.start.isoformat(),
            "to": self.period_range.end.isoformat(),
            "grain": self.grain,
            **self.notes,
            "rows": self.records,
        }


def touchpoint_report(
    source: QuerySource,
    view: str,
    period_range: DateRange,
    grain: str | None = None,
    dims: Sequence[str] = (),
    campaigns: Sequence[str] | None = None,
    product: str | None = None,
    params: ValueParameters | None = None,
) -> Report:
    """Run one view; ``grain`` defaults to day for results and rank (its unit of time), total for lift."""
    if view == "results":
        grain = grain or "day"
        dims = list(dims) or ["slot"]
        report = touchpoint_results(source, period_range, grain, dims, params, campaigns)
        notes = {"dims": list(report.dims), "unallocated_cost_yuan": report.unallocated_cost_yuan}
        return Report("results", period_range, grain, ["period", *dims, *RESULT_COLUMNS], report.records(), notes)
    if view == "lift":
        grain = grain or "total"
        rows = lift(source, period_range, campaigns, grain, dims, params)
        shown = [d for d in dims if d != "campaign"]
        notes = {"confidence": rows[0].confidence if rows else None}
        return Report("lift", period_range, grain, ["period", *shown, *LIFT_COLUMNS], [r.record() for r in rows], notes)
    if view == "rank":
        if not product:
            raise ReportInputError("the rank view needs a product (a business line or product id)")
        grain = grain or "day"
        ranked = rank_slots(source, product, period_range, grain, params)
        return Report(
            "rank", period_range, grain, list(RANK_COLUMNS), [s.record() for s in ranked], {"product": product}
        )
    raise ReportInputError(f"unknown view {view!r}: one of {', '.join(VIEWS)}")


def display(column: str, value: Any) -> str:
    """A cell as text: rates in percent, money in yuan with fen, nothing as '-'."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if column in RATES:
        return f"{100 * value:.2f}%"
    if isinstance(value, float):
        return f"{value:,.2f}" if column != "p_value" else f"{value:.4f}"
    return str(value)
