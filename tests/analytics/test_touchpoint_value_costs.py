"""Cost allocation by share of clicks: calendar arithmetic (unit) and the shares on both engines."""

from __future__ import annotations

import datetime as dt

import pytest

from analytics.touchpoint_value import DateRange, touchpoint_results
from analytics.touchpoint_value.costs import allocate, days_in_cost_period, period_costs
from analytics.touchpoint_value.parameters import Cost
from tests.analytics.touchpoint_world import SEPTEMBER_1_TO_7, mapped
from warehouse import Warehouse


@pytest.mark.parametrize(
    ("period", "day", "days"),
    [
        ("day", dt.date(2026, 9, 1), 1),
        ("week", dt.date(2026, 9, 1), 7),
        ("month", dt.date(2026, 9, 30), 30),
        ("month", dt.date(2028, 2, 10), 29),
        ("month", dt.date(2027, 2, 10), 28),
        ("quarter", dt.date(2026, 8, 15), 92),  # July, August, September
        ("quarter", dt.date(2028, 1, 1), 91),  # a leap Q1
        ("year", dt.date(2028, 6, 1), 366),
        ("year", dt.date(2026, 6, 1), 365),
    ],
)
def test_days_in_cost_period(period: str, day: dt.date, days: int) -> None:
    assert days_in_cost_period(period, day) == days  # type: ignore[arg-type]


def test_a_monthly_cost_spreads_over_the_days_of_each_month() -> None:
    cost = Cost(period="month", per_channel_yuan={"app": 310.0, "web": 0.0})
    # 30 August to 2 September: 2 days of August (31 days), 2 of September (30 days).
    span = DateRange(start=dt.date(2026, 8, 30), end=dt.date(2026, 9, 2))
    assert period_costs(cost, span, "month") == {
        (dt.date(2026, 8, 1), "app"): pytest.approx(2 * 310 / 31),
        (dt.date(2026, 9, 1), "app"): pytest.approx(2 * 310 / 30),
    }
    assert period_costs(cost, span, "total") == {(span.start, "app"): pytest.approx(20 + 310 / 15)}


def test_shares_follow_clicks_and_idle_cost_is_unallocated() -> None:
    day = dt.date(2026, 9, 1)
    shares = [
        {"period": day, "channel": "app", "slot": "app.banner", "campaign": "a", "clicks": 3},
        {"period": day, "channel": "app", "slot": "app.reminder", "campaign": "a", "clicks": 1},
    ]
    costs = {(day, "app"): 40.0, (day, "web"): 9.0}
    allocation = allocate(shares, costs, lambda row: (row["slot"],))
    assert allocation.by_group == {(day, ("app.banner",)): 30.0, (day, ("app.reminder",)): 10.0}
    assert allocation.unallocated_yuan == 9.0


@pytest.mark.integration
def test_weekly_cost_by_campaign_on_the_world(touchpoint_world: Warehouse) -> None:
    params = mapped()
    params = params.model_copy(update={"cost": Cost(period="day", per_channel_yuan={"app": 10.0, "web": 7.0})})
    report = touchpoint_results(touchpoint_world, SEPTEMBER_1_TO_7, "week", ("campaign",), params)
    cost = {(row.period.isoformat(), row.dims["campaign"]): row.value.cost_yuan for row in report.rows}
    # Week of 31 August (1-6 September, 6 days): app 60 yuan over its 7 clicks (bb: d1 d18 d12 d9 d10,
    # dp10: d19, mystery: d11), web 42 yuan over 3 clicks, all bb (d5 d6 d20).
    # Week of 7 September (1 day): app 10 yuan, all to bb's d16; web 7 yuan has no click: unallocated.
    assert cost == {
        ("2026-08-31", "bb"): pytest.approx(60 * 5 / 7 + 42),
        ("2026-08-31", "dp"): 0.0,  # exposed, never clicked
        ("2026-08-31", "dp10"): pytest.approx(60 / 7),
        ("2026-08-31", "mystery"): pytest.approx(60 / 7),
        ("2026-09-07", "bb"): pytest.approx(10.0),
    }
    assert report.unallocated_cost_yuan == pytest.approx(7.0)
    (bb,) = [r for r in report.rows if r.dims["campaign"] == "bb" and r.period == dt.date(2026, 8, 31)]
    assert bb.value.total_yuan == pytest.approx(14 * 0.05 + 5 * 3 + 2 * 1.08 - (60 * 5 / 7 + 42))
