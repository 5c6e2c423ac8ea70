"""Which slots to put a product on: slots ranked by the value they made for it per unit of time (seed 004).

A slot's value for a product counts only the campaigns that sell it (the campaign mapping's business
or product). Slots carry a product for different lengths of time, so the value is divided by the
slot's active periods (``unit`` periods in which it exposed one of those campaigns), not by the range.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import reduce
from operator import add

from analytics.touchpoint_value.dimensions import DateRange, ReportInputError, check_grain
from analytics.touchpoint_value.parameters import SELLS_NOTHING, ValueParameters, default_parameters
from analytics.touchpoint_value.results import TouchpointRow, ValueBreakdown, touchpoint_results
from analytics.touchpoint_value.source import QuerySource
from core.contract.definitions import default_catalogue
from core.models import StrictModel


class RankedSlot(StrictModel):
    rank: int
    slot: str
    channel: str
    slot_kind: str
    campaigns: list[str]
    exposures: int
    clicks: int
    conversions: int
    service_transactions: int
    value: ValueBreakdown
    active_periods: int
    unit: str

    @property
    def value_per_period(self) -> float:
        return self.value.total_yuan / self.active_periods if self.active_periods else 0.0

    def record(self) -> dict[str, object]:
        totals = {"value_yuan": self.value.total_yuan, "value_per_period": self.value_per_period}
        return self.model_dump(exclude={"value"}) | self.value.model_dump() | totals


def campaigns_selling(product: str, params: ValueParameters) -> list[str]:
    return sorted(c for c, target in params.campaigns.items() if target.sells(product))


def rank_slots(
    source: QuerySource,
    product: str,
    period_range: DateRange,
    unit: str = "day",
    params: ValueParameters | None = None,
) -> list[RankedSlot]:
    """Slots by value per ``unit`` period for ``product`` (a business line or a product id), best first."""
    params = params or default_parameters()
    unit_ = check_grain(unit)
    if unit_ == "total":
        raise ReportInputError("rank per unit of time: unit is day, week, month, quarter or year")
    campaigns = campaigns_selling(product, params)
    if not campaigns:
        raise ReportInputError(
            f"no campaign sells {product!r}: map campaigns to a business or product in the value parameters"
        )
    report = touchpoint_results(source, period_range, unit_, ("slot", "campaign"), params, campaigns)
    by_slot: dict[str, list[TouchpointRow]] = {}
    for row in report.rows:
        by_slot.setdefault(row.dims["slot"], []).append(row)
    slots = default_catalogue().slots
    ranked = []
    for slot, rows in by_slot.items():
        known = slots.get(slot)
        ranked.append(
            RankedSlot(
                rank=0,
                slot=slot,
                channel=known.channel if known else "",
                slot_kind=known.kind if known else "",
                campaigns=sorted({r.dims["campaign"] for r in rows if r.exposures or r.clicks}),
                exposures=sum(r.exposures for r in rows),
                clicks=sum(r.clicks for r in rows),
                conversions=sum(r.conversions for r in rows),
                service_transactions=sum(r.service_transactions for r in rows),
                value=reduce(add, (r.value for r in rows)),
                active_periods=len({r.period for r in rows if r.exposures or r.clicks}),
                unit=unit_,
            )
        )
    ranked.sort(key=lambda s: (-s.value_per_period, s.slot))
    return [s.model_copy(update={"rank": i}) for i, s in enumerate(ranked, start=1)]


def known_products(params: ValueParameters) -> Sequence[str]:
    """Business lines and product ids some campaign sells: what :func:`rank_slots` accepts."""
    targets = [t for t in params.campaigns.values() if t.business != SELLS_NOTHING]
    return sorted({t.business for t in targets} | {t.product for t in targets if t.product})
