"""Anomaly flags for a metric series: robust z-scores of changes, confirmed by a second view.

The rule (docs/metrics.md, "Anomalies"):

1. The change of point t is ``v[t] - v[t-1]`` (day over day, week over week, month over
   month, by the series' grain).
2. Its robust z-score compares it with the previous ``WINDOW`` changes:
   ``z = (change - median) / (1.4826 * MAD)``, the modified z-score of Iglewicz and
   Hoaglin (1.4826 makes the MAD estimate a standard deviation for normal data). When MAD
   is 0 the mean absolute deviation times 1.2533 stands in; when that is 0 too (a flat
   history) any change at all is infinitely unusual and no change is not.
3. A second view must agree, in the same direction, so that the day after a one-day spike
   (whose change is as large, back down) is not flagged, and seasonality is not noise:
   for days, the week-over-week change ``v[t] - v[t-7]`` against the previous WINDOW
   week-over-week changes (a weekly rhythm cancels out); for weeks and months, or days
   with too little history for it, the level ``v[t]`` against the previous WINDOW values.
4. Flag when both |z| > K. K = 3.5 is Iglewicz and Hoaglin's recommended cut-off.

No flag without MIN_HISTORY earlier changes: a short history says nothing about normal.
A missing value (None) has no change and breaks neither history nor flags elsewhere.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from statistics import median
from typing import Literal

from core.models import StrictModel

K = 3.5
WINDOW = 28
MIN_HISTORY = 7
SEASON = {"day": 7}
"""Grains with a seasonal second view, and the season length in points."""

MAD_TO_SIGMA = 1.4826
MEAN_AD_TO_SIGMA = 1.2533


class Anomaly(StrictModel):
    direction: Literal["spike", "dip"]
    change: float
    z: float
    """Robust z-score of the change against the previous changes."""
    check: Literal["week_over_week", "level"]
    check_z: float


def robust_z(value: float, history: Sequence[float]) -> float:
    """Modified z-score of ``value`` against ``history`` (median and MAD, see module doc)."""
    centre = median(history)
    deviations = [abs(h - centre) for h in history]
    scale = MAD_TO_SIGMA * median(deviations)
    if scale == 0:
        scale = MEAN_AD_TO_SIGMA * sum(deviations) / len(deviations)
    if scale == 0:
        return 0.0 if value == centre else math.copysign(math.inf, value - centre)
    return (value - centre) / scale


def _lagged_changes(values: Sequence[float | None], lag: int) -> list[float | None]:
    changes: list[float | None] = [None] * len(values)
    for t in range(lag, len(values)):
        now, before = values[t], values[t - lag]
        if now is not None and before is not None:
            changes[t] = now - before
    return changes


def _z_against_past(series: Sequence[float | None], t: int) -> float | None:
    """z of ``series[t]`` against its previous WINDOW known values; None without enough history."""
    current = series[t]
    if current is None:
        return None
    history = [v for v in series[max(0, t - WINDOW) : t] if v is not None]
    if len(history) < MIN_HISTORY:
        return None
    return robust_z(current, history)


def flag_anomalies(values: Sequence[float | None], grain: str) -> list[Anomaly | None]:
    """One entry per point: the anomaly at that point, or None."""
    changes = _lagged_changes(values, 1)
    season = SEASON.get(grain)
    seasonal = _lagged_changes(values, season) if season else None
    flags: list[Anomaly | None] = []
    for t in range(len(values)):
        z = _z_against_past(changes, t)
        if z is None or abs(z) <= K:
            flags.append(None)
            continue
        check_z = _z_against_past(seasonal, t) if seasonal is not None else None
        check: Literal["week_over_week", "level"] = "week_over_week"
        if check_z is None:
            check, check_z = "level", _z_against_past(values, t)
        confirmed = check_z is not None and abs(check_z) > K and (check_z > 0) == (z > 0)
        if not confirmed:
            flags.append(None)
            continue
        flags.append(
            Anomaly(
                direction="spike" if z > 0 else "dip",
                change=float(changes[t] or 0.0),
                z=z,
                check=check,
                check_z=float(check_z or 0.0),
            )
        )
    return flags
