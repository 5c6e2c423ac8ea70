"""The anomaly rule (analytics/metrics/anomalies.py) on planted series."""

from __future__ import annotations

import math
import random

import pytest

from analytics.metrics.anomalies import MIN_HISTORY, WINDOW, K, flag_anomalies, robust_z


def noisy(n: int, level: float = 1000.0, noise: float = 20.0, seed: int = 7) -> list[float]:
    rng = random.Random(seed)
    return [level + rng.uniform(-noise, noise) for _ in range(n)]


def flagged(values: list[float | None], grain: str = "day") -> dict[int, str]:
    return {t: a.direction for t, a in enumerate(flag_anomalies(values, grain)) if a is not None}


def test_robust_z_is_the_modified_z_score() -> None:
    history = [10.0, 12.0, 11.0, 13.0, 9.0]  # median 11, MAD 1
    assert robust_z(14.0, history) == pytest.approx(3 / 1.4826)
    assert robust_z(14.0, history, min_scale=3.0) == pytest.approx(1.0)  # the floor on the scale
    assert robust_z(5.0, [5.0] * 8) == 0  # flat history, no change
    assert robust_z(6.0, [5.0] * 8) == math.inf  # flat history, any change
    assert robust_z(8.0, [10.0, 10.0, 10.0, 10.0, 16.0]) == pytest.approx(-2 / (1.2533 * 1.2))  # MAD 0: mean AD


def test_a_planted_spike_is_flagged_once() -> None:
    series = noisy(40)
    series[30] *= 1.5
    assert flagged(series) == {30: "spike"}


def test_a_planted_dip_is_flagged_once_on_every_grain() -> None:
    for grain in ("day", "week", "month"):
        series = noisy(20, seed=3)
        series[15] *= 0.4
        assert flagged(series, grain) == {15: "dip"}, grain


def test_a_flat_series_has_no_anomaly() -> None:
    assert flagged([500.0] * 60) == {}
    assert flagged([0.0] * 60) == {}


def test_a_spike_on_a_flat_series_is_flagged_not_the_return() -> None:
    series = [100.0] * 30
    series[20] = 130.0
    assert flagged(series) == {20: "spike"}


def test_noise_trend_and_weekly_rhythm_are_not_anomalies() -> None:
    rng = random.Random(11)
    trend = [1000 + 15 * t + rng.uniform(-20, 20) for t in range(60)]
    weekly = [(600.0 if t % 7 in (5, 6) else 1000.0) + rng.uniform(-15, 15) for t in range(60)]
    assert flagged(noisy(90)) == {}
    assert flagged(trend) == {}
    assert flagged(weekly) == {}


def test_a_weekend_dip_that_breaks_the_rhythm_is_flagged() -> None:
    rng = random.Random(5)
    weekly = [(600.0 if t % 7 in (5, 6) else 1000.0) + rng.uniform(-15, 15) for t in range(56)]
    weekly[45] = 300.0  # a weekday (45 % 7 == 3) as low as no weekend ever was
    assert flagged(weekly) == {45: "dip"}


def test_a_level_shift_is_flagged_where_it_happens_only() -> None:
    series = noisy(25, seed=2) + [v + 400 for v in noisy(20, seed=9)]
    assert flagged(series) == {25: "spike"}


def test_no_flag_without_enough_history() -> None:
    """Weeks and months: MIN_HISTORY earlier changes. Days: MIN_HISTORY week-over-week changes."""
    assert flagged([100.0] * MIN_HISTORY + [1000.0], "week") == {}
    assert flagged([100.0] * (MIN_HISTORY + 1) + [1000.0], "week") == {MIN_HISTORY + 1: "spike"}
    first_day = 7 + MIN_HISTORY
    assert flagged([100.0] * (first_day - 1) + [1000.0]) == {}
    assert flagged([100.0] * first_day + [1000.0]) == {first_day: "spike"}


def test_a_wobble_smaller_than_the_floor_is_not_an_anomaly() -> None:
    """A calm history (tiny MAD) does not make a 2 % move an anomaly: the scale floor is 1 % of the level."""
    series = [1000.0 + (0.5 if t % 2 else -0.5) for t in range(30)]
    series[25] = 1020.0
    assert flagged(series) == {}
    series[25] = 1060.0
    assert flagged(series) == {25: "spike"}


def test_missing_values_neither_flag_nor_break_the_series() -> None:
    series: list[float | None] = list(noisy(40))
    series[10] = None
    series[30] = (series[30] or 0) * 2
    result = flag_anomalies(series, "day")
    assert result[10] is None and result[11] is None
    assert flagged(series) == {30: "spike"}


def test_only_the_last_window_counts() -> None:
    """A wild distant past does not hide today's spike: the reference is the last WINDOW changes."""
    wild = [1000.0 + (400 if t % 2 else -400) for t in range(30)]
    calm = noisy(WINDOW + 5, seed=4)
    calm[-1] *= 1.3
    series = wild + calm
    assert flagged(series)[len(series) - 1] == "spike"
    assert K == 3.5


def test_the_start_of_the_data_is_not_a_spike() -> None:
    """A range that starts before the events do: leading zeros are no data, not a calm history."""
    series = [0.0] * 25 + noisy(20)
    assert flagged(series) == {}
    series[40] *= 1.6  # once there is history, a spike is still a spike
    assert flagged(series) == {40: "spike"}
