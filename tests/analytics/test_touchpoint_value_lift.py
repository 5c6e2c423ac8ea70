"""Holdout lift: group counts on both engines from hand-built decisions, intervals against formulas by hand.

The formulas below are written out from their definitions (Wilson 1927, Newcombe 1998 method 10,
Katz 1978 log interval, the pooled two-proportion z-test) with only the standard normal quantile
from the standard library, so they check statsmodels' results rather than repeat its calls.
"""

from __future__ import annotations

import datetime as dt
import math
from statistics import NormalDist

import pytest

from analytics.touchpoint_value import DateRange, lift
from analytics.touchpoint_value.lift import difference_interval, p_value, rate_interval, ratio_interval
from tests.analytics.touchpoint_events import DAY_MS, D, Events
from tests.analytics.touchpoint_world import SEPTEMBER_1_TO_7, decisions, mapped
from warehouse import Warehouse
from warehouse.sources import insert_events

Z95 = NormalDist().inv_cdf(0.975)


def wilson(x: int, n: int, z: float = Z95) -> tuple[float, float]:
    p = x / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


def newcombe(x1: int, n1: int, x2: int, n2: int) -> tuple[float, float]:
    p1, p2 = x1 / n1, x2 / n2
    (l1, u1), (l2, u2) = wilson(x1, n1), wilson(x2, n2)
    d = p1 - p2
    return d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2), d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)


def katz(x1: int, n1: int, x2: int, n2: int) -> tuple[float, float]:
    ratio = (x1 / n1) / (x2 / n2)
    se = math.sqrt(1 / x1 - 1 / n1 + 1 / x2 - 1 / n2)
    return ratio * math.exp(-Z95 * se), ratio * math.exp(Z95 * se)


def pooled_z_p(x1: int, n1: int, x2: int, n2: int) -> float:
    pooled = (x1 + x2) / (n1 + n2)
    z = (x1 / n1 - x2 / n2) / math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    return 2 * (1 - NormalDist().cdf(abs(z)))


@pytest.mark.parametrize(("x1", "n1", "x2", "n2"), [(2, 5, 1, 4), (60, 200, 20, 200), (7, 1000, 3, 990)])
def test_intervals_match_their_formulas(x1: int, n1: int, x2: int, n2: int) -> None:
    assert (rate_interval(x1, n1, 0.05).low, rate_interval(x1, n1, 0.05).high) == pytest.approx(wilson(x1, n1))
    diff = difference_interval(x1, n1, x2, n2, 0.05)
    assert diff.estimate == pytest.approx(x1 / n1 - x2 / n2)
    assert (diff.low, diff.high) == pytest.approx(newcombe(x1, n1, x2, n2))
    ratio = ratio_interval(x1, n1, x2, n2, 0.05)
    assert ratio.estimate == pytest.approx((x1 / n1) / (x2 / n2))
    assert (ratio.low, ratio.high) == pytest.approx(katz(x1, n1, x2, n2))
    assert p_value(x1, n1, x2, n2) == pytest.approx(pooled_z_p(x1, n1, x2, n2))


def test_degenerate_groups_give_no_interval_rather_than_a_wrong_one() -> None:
    assert rate_interval(0, 0, 0.05) is None
    assert difference_interval(1, 10, 0, 0, 0.05) is None
    assert ratio_interval(3, 10, 0, 10, 0.05) is None  # unbounded ratio
    assert ratio_interval(0, 10, 2, 10, 0.05) is None
    assert p_value(0, 10, 0, 10) is None  # no variance
    zero = difference_interval(0, 10, 0, 12, 0.05)
    assert zero is not None and zero.low < 0 < zero.high  # Newcombe still bounds a 0 - 0 difference


@pytest.fixture
def decided(wh: Warehouse) -> Warehouse:
    insert_events(wh, decisions().records)
    return wh


COUNTS = ("treated_users", "treated_conversions", "control_users", "control_conversions", "excluded_users")


@pytest.mark.integration
def test_treated_control_and_excluded_users(decided: Warehouse) -> None:
    rows = {row.campaign: row for row in lift(decided, SEPTEMBER_1_TO_7, params=mapped())}
    assert set(rows) == {"bb", "dp", "other"}
    bb = rows["bb"]
    assert tuple(getattr(bb, c) for c in COUNTS) == (5, 2, 4, 1, 1)
    assert bb.treated_rate.estimate == pytest.approx(2 / 5)
    assert bb.control_rate.estimate == pytest.approx(1 / 4)
    assert (bb.difference.low, bb.difference.high) == pytest.approx(newcombe(2, 5, 1, 4))
    assert (bb.ratio.low, bb.ratio.high) == pytest.approx(katz(2, 5, 1, 4))
    assert bb.p_value == pytest.approx(pooled_z_p(2, 5, 1, 4))
    assert not bb.significant
    dp = rows["dp"]  # t1 ordered no data pack, nobody held out of dp
    assert tuple(getattr(dp, c) for c in COUNTS) == (1, 0, 0, 0, 0)
    assert dp.difference is None and dp.control_rate is None


@pytest.mark.integration
def test_lift_per_day_and_channel(decided: Warehouse) -> None:
    rows = lift(decided, SEPTEMBER_1_TO_7, "bb", grain="day", dims=("channel",), params=mapped())
    got = {(r.period.isoformat(), r.dims["channel"]): tuple(getattr(r, c) for c in COUNTS) for r in rows}
    assert got == {
        ("2026-09-01", "app"): (2, 2, 2, 1, 1),  # t1 t2 | c1 c2 | x1
        ("2026-09-01", "web"): (2, 0, 2, 0, 0),  # t3 t4 | c3 c4
        ("2026-09-01", "wechat"): (1, 0, 0, 0, 0),  # t5
        ("2026-09-04", "app"): (1, 0, 0, 0, 0),  # t1 again: its order came before this decision
    }


@pytest.mark.integration
def test_a_clear_effect_is_significant(wh: Warehouse) -> None:
    ev = Events()
    for i in range(200):
        ev.decision(f"t{i}", "app.banner", D + i * 1000, shown="bb")
        ev.decision(f"c{i}", "app.banner", D + i * 1000, holdout="bb")
        if i < 60:
            ev.order(f"t{i}", "broadband", D + DAY_MS + i)
        if i < 20:
            ev.order(f"c{i}", "broadband", D + DAY_MS + i)
    insert_events(wh, ev.records)
    (row,) = lift(wh, DateRange(start=dt.date(2026, 9, 1), end=dt.date(2026, 9, 1)), "bb", params=mapped())
    assert tuple(getattr(row, c) for c in COUNTS) == (200, 60, 200, 20, 0)
    assert row.significant
    assert row.ratio.estimate == pytest.approx(3.0)
    assert (row.difference.low, row.difference.high) == pytest.approx(newcombe(60, 200, 20, 200))
    assert row.p_value == pytest.approx(pooled_z_p(60, 200, 20, 200))
    assert row.p_value < 0.001
