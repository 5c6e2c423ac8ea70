"""Holdout lift: did showing a campaign make its audience convert more than the held-out control group?

Counts come from sql/touchpoints/lift.sql (users treated / held out and those who ordered within the
window). The intervals are standard and computed by statsmodels:
- each group's conversion rate: Wilson score interval;
- the difference treated - control: Newcombe's hybrid score interval (built from the two Wilson
  intervals; stays inside [-1, 1] and behaves at 0 conversions, unlike the Wald interval);
- the ratio treated / control: Katz log interval, only when both groups converted at least once;
- a two-sided pooled z-test p-value for "no difference".
"""

from __future__ import annotations

import datetime as dt
import math
import warnings
from collections.abc import Sequence
from typing import Any

from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint, proportions_ztest

from analytics.touchpoint_value.compile import lift_query
from analytics.touchpoint_value.dimensions import DateRange, Grain, check_campaigns, check_dimensions, check_grain
from analytics.touchpoint_value.parameters import ValueParameters, default_parameters
from analytics.touchpoint_value.source import QuerySource, run
from core.models import StrictModel


class Interval(StrictModel):
    estimate: float
    low: float
    high: float

    def excludes(self, value: float) -> bool:
        return not self.low <= value <= self.high


class LiftRow(StrictModel):
    period: dt.date
    dims: dict[str, str]
    campaign: str
    treated_users: int
    treated_conversions: int
    control_users: int
    control_conversions: int
    excluded_users: int
    """Users both shown the campaign and held out of it (a changed holdout share): in neither group."""
    confidence: float
    treated_rate: Interval | None
    control_rate: Interval | None
    difference: Interval | None
    ratio: Interval | None
    p_value: float | None

    @property
    def significant(self) -> bool:
        """The difference interval excludes zero at the chosen confidence."""
        return self.difference is not None and self.difference.excludes(0.0)

    def record(self) -> dict[str, Any]:
        intervals = ("treated_rate", "control_rate", "difference", "ratio")
        flat: dict[str, Any] = {"period": self.period.isoformat(), **self.dims, "campaign": self.campaign}
        flat |= self.model_dump(exclude={"period", "dims", "campaign", *intervals})
        for name in intervals:
            interval: Interval | None = getattr(self, name)
            flat[name] = interval.estimate if interval else None
            flat[f"{name}_low"] = interval.low if interval else None
            flat[f"{name}_high"] = interval.high if interval else None
        flat["significant"] = self.significant
        return flat


def lift(
    source: QuerySource,
    period_range: DateRange,
    campaign: str | Sequence[str] | None = None,
    grain: str = "total",
    dims: Sequence[str] = (),
    params: ValueParameters | None = None,
) -> list[LiftRow]:
    """Lift per campaign (all campaigns with decisions, or the ones named), per ``grain`` and ``dims``."""
    grain_: Grain = check_grain(grain)
    dims_ = tuple(d for d in check_dimensions(dims) if d != "campaign")  # campaign is always a key
    params = params or default_parameters()
    campaigns = check_campaigns([campaign] if isinstance(campaign, str) else campaign)
    rows = run(source, lift_query(period_range, grain_, dims_, params, campaigns))
    alpha = 1 - params.lift.confidence
    return [_lift_row(row, dims_, params.lift.confidence, alpha) for row in rows]


def _lift_row(row: dict[str, Any], dims: Sequence[str], confidence: float, alpha: float) -> LiftRow:
    counts = {
        name: int(row[name])
        for name in ("treated_users", "treated_conversions", "control_users", "control_conversions", "excluded_users")
    }
    x1, n1 = counts["treated_conversions"], counts["treated_users"]
    x2, n2 = counts["control_conversions"], counts["control_users"]
    return LiftRow(
        period=row["period"],
        dims={d: str(row[d]) for d in dims},
        campaign=row["campaign"],
        confidence=confidence,
        treated_rate=rate_interval(x1, n1, alpha),
        control_rate=rate_interval(x2, n2, alpha),
        difference=difference_interval(x1, n1, x2, n2, alpha),
        ratio=ratio_interval(x1, n1, x2, n2, alpha),
        p_value=p_value(x1, n1, x2, n2),
        **counts,
    )


def rate_interval(conversions: int, users: int, alpha: float) -> Interval | None:
    """Wilson score interval of one group's conversion rate."""
    if not users:
        return None
    low, high = proportion_confint(conversions, users, alpha=alpha, method="wilson")
    return Interval(estimate=conversions / users, low=float(low), high=float(high))


def difference_interval(x1: int, n1: int, x2: int, n2: int, alpha: float) -> Interval | None:
    """Newcombe hybrid score interval of p1 - p2."""
    if not (n1 and n2):
        return None
    low, high = confint_proportions_2indep(x1, n1, x2, n2, method="newcomb", compare="diff", alpha=alpha)
    return Interval(estimate=x1 / n1 - x2 / n2, low=float(low), high=float(high))


def ratio_interval(x1: int, n1: int, x2: int, n2: int, alpha: float) -> Interval | None:
    """Katz log interval of p1 / p2; none when a group has no conversion (the ratio is 0 or unbounded)."""
    if not (n1 and n2 and x1 and x2):
        return None
    low, high = confint_proportions_2indep(x1, n1, x2, n2, method="log", compare="ratio", alpha=alpha)
    return Interval(estimate=(x1 / n1) / (x2 / n2), low=float(low), high=float(high))


def p_value(x1: int, n1: int, x2: int, n2: int) -> float | None:
    """Two-sided pooled z-test of p1 = p2; none when it is undefined (no data, or no variance)."""
    if not (n1 and n2) or x1 + x2 in (0, n1 + n2):
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        _, p = proportions_ztest([x1, x2], [n1, n2])
    return None if math.isnan(p) else float(p)
