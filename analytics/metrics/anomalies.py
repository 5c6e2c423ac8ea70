"""Anomaly flags for a metric series: robust z-scores of changes, confirmed by a second view.

The rule (docs/metrics.md, "Anomalies"):

1. The change of point t is ``v[t] - v[t-1]`` (day over day, week over week, month over
   month, by the series' grain).
2. Its robust z-score compares it with the previous ``WINDOW`` changes:
   ``z = (change - median) / scale`` with ``scale = 1.4826 * MAD``, the modified z-score
   of Iglewicz and Hoaglin (1.4826 makes the MAD estimate a standard deviation for normal
   data). The scale is at least MIN_RELATIVE_SCALE (1 %) of the series' recent level (the
   median of the previous WINDOW absolute values), so a change smaller than K % of the
   level is never an anomaly, however calm the history (a few weeks of history can give a
   tiny MAD by chance). When the scale is still 0 (a flat zero history), the mean absolute
   deviation times 1.2533 stands in; when that is 0 too, any change is infinitely unusual.
3. A second view must agree, in the same direction, so that the day after a one-day spike
   (whose change is as large, back down) is not flagged, and seasonality is not noise:
   for days, the week-over-week change ``v[t] - v[t-7]`` against the previous WINDOW
   week-over-week changes (a weekly rhythm cancels out); for weeks and months, the level
   ``v[t]`` against the previous WINDOW values.
4. Flag when both |z| > K. K = 3.5 is Iglewicz and Hoaglin's recommended cut-off.

No flag without MIN_HISTORY earlier values of a view: a short history says nothing about
normal (days need two weeks before the week-over-week view speaks). A missing value (None)
has no change and breaks neither history nor flags elsewhere. Zeros before a series' first
non-zero value are no data yet (a range that starts before the events do), not a history of
zeros: the start of the data is never a spike.
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

MIN_RELATIVE_SCALE = 0.01
MAD_TO_SIGMA = 1.4826
MEAN_AD_TO_SIGMA = 1.2533


class Anomaly(StrictModel):
    direction: Literal["spike", "dip"]
    change: float
    z: float
    """Robust z-score of the change against the previous changes."""
    check: Literal["week_over_week", "level"]
    check_z: float


def robust_z(value: float, history: Sequence[float], min_scale: float = 0.0) -> float:
    """Modified z-score of ``value`` against ``history`` (median and MAD, see module doc)."""
    centre = median(history)
    deviations = [abs(h - centre) for h in history]
    scale = max(MAD_TO_SIGMA * median(deviations), min_scale)
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


def _z_against_past(series: Sequence[float | None], t: int, level: float) -> float | None:
    """z of ``series[t]`` against its previous WINDOW known values; None without enough history."""
    current = series[t]
    if current is None:
        return None
    history = [v for v in series[max(0, t - WINDOW) : t] if v is not None]
    if len(history) < MIN_HISTORY:
        return None
    return robust_z(current, history, MIN_RELATIVE_SCALE * level)


def _recent_level(values: Sequence[float | None], t: int) -> float:
    recent = [abs(v) for v in values[max(0, t - WINDOW) : t] if v is not None]
    return median(recent) if recent else 0.0


def flag_anomalies(values: Sequence[float | None], grain: str) -> list[Anomaly | None]:
    """One entry per point: the anomaly at that point, or None."""
    first = next((i for i, v in enumerate(values) if v), len(values))
    values = [None] * first + list(values[first:])
    changes = _lagged_changes(values, 1)
    season = SEASON.get(grain)
    seasonal = _lagged_changes(values, season) if season else None
    flags: list[Anomaly | None] = []
    check: Literal["week_over_week", "level"] = "week_over_week" if seasonal is not None else "level"
    for t in range(len(values)):
        level = _recent_level(values, t)
        z = _z_against_past(changes, t, level)
        if z is None or abs(z) <= K:
            flags.append(None)
            continue
        check_z = _z_against_past(seasonal if seasonal is not None else values, t, level)
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
