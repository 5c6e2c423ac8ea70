"""Touchpoint results on both engines, against figures worked out by hand for a small world.

The world (times from D = 2026-09-01 00:00 UTC, range 1-7 September; x+c = exposure and a click 10 s
later; campaign bb sells broadband, dp data_pack, dp10 data_pack product dp-10g, `mystery` is unmapped):

- u1: d1 bb app.banner x+c D+1h, d2 dp app.home_floor x D+1d; broadband 300 at D+2d -> d1 (dp sells no broadband)
- u2: d3 bb app.login_popup x D+3h; broadband 200 exactly 1 day later -> d3 (exposure window edge)
- u3: d4 bb app.login_popup x D+4h; broadband 1 day + 1 ms later -> nobody
- u4: d5 bb web.banner x+c D+5h, d6 bb web.home_floor x+c D+2d; broadband 500 at D+3d -> d6 (latest click)
- u5: d7 bb wechat.menu_banner x+c D+6h, d8 bb wechat.home_floor x D+1d; broadband 100 at D+1d+1h
  -> d7 (a click beats a later exposure)
- u6: d9 bb app.floating_icon x+c D+4d; broadband 50 exactly 7 days after the click -> d9 (click window edge,
  an order after the range for a touch inside it)
- u7: d10 bb app.floating_icon x+c D+4d; broadband 7 days + 1 ms after the click -> nobody
- u8: d11 mystery app.reminder x+c D+5d; handset 3000 1 h later -> d11 (unmapped: any business)
- u9: d12 bb app.reminder x+c D+2d+10h; bill_payment 1 and 2 at +5 and +10 min, topup 1 at +6 min, topup 3 at
  +31 min -> 2 service transactions (topup 1 is not one, +31 min is past the window)
- u10: d13 bb app.reminder x D+2d; bill_payment 2 at +5 min -> nobody (service needs a click)
- u11: d14 bb app.banner x+c D-1h, d15 bb app.banner x D+30min; broadband at D+1h -> d14, before the range
- u12: d16 bb app.banner x+c D+6d+23h, d17 bb app.banner x+c D+7d+1h; broadband at D+7d+2h -> d17, after it
- u13: d18 bb app.banner x D+2h resent 3 s later with a new id, its click sent twice with one id -> once each
- u14: d19 dp10 app.home_floor x+c D+1d; data_pack dp-30g at +1h, dp-10g 10 at +2h -> d19, dp-10g only
- u15: d20 bb web.login_popup x+c D+1d; plan at +1h -> nobody (bb sells broadband)
"""

from __future__ import annotations

import datetime as dt

import pytest

from analytics.touchpoint_value import DateRange, ValueParameters, default_parameters, touchpoint_results
from analytics.touchpoint_value.parameters import CampaignTarget
from tests.analytics.touchpoint_events import CLICK_AFTER_MS, DAY_MS, HOUR_MS, MINUTE_MS, SECOND_MS, D, Events
from warehouse import Warehouse
from warehouse.sources import insert_events

pytestmark = pytest.mark.integration

SEPTEMBER_1_TO_7 = DateRange(start=dt.date(2026, 9, 1), end=dt.date(2026, 9, 7))


def mapped(params: ValueParameters | None = None) -> ValueParameters:
    return (params or default_parameters()).with_campaigns(
        {
            "bb": CampaignTarget(business="broadband"),
            "dp": CampaignTarget(business="data_pack"),
            "dp10": CampaignTarget(business="data_pack", product="dp-10g"),
        }
    )


def world() -> Events:
    ev = Events()
    ev.exposed_and_clicked("u1", "app.banner", "bb", "d1", D + HOUR_MS)
    ev.exposure("u1", "app.home_floor", "dp", "d2", D + DAY_MS)
    ev.order("u1", "broadband", D + 2 * DAY_MS, amount=300)
    ev.exposure("u2", "app.login_popup", "bb", "d3", D + 3 * HOUR_MS)
    ev.order("u2", "broadband", D + 3 * HOUR_MS + DAY_MS, amount=200)
    ev.exposure("u3", "app.login_popup", "bb", "d4", D + 4 * HOUR_MS)
    ev.order("u3", "broadband", D + 4 * HOUR_MS + DAY_MS + 1, amount=999)
    ev.exposed_and_clicked("u4", "web.banner", "bb", "d5", D + 5 * HOUR_MS)
    ev.exposed_and_clicked("u4", "web.home_floor", "bb", "d6", D + 2 * DAY_MS)
    ev.order("u4", "broadband", D + 3 * DAY_MS, amount=500)
    ev.exposed_and_clicked("u5", "wechat.menu_banner", "bb", "d7", D + 6 * HOUR_MS)
    ev.exposure("u5", "wechat.home_floor", "bb", "d8", D + DAY_MS)
    ev.order("u5", "broadband", D + DAY_MS + HOUR_MS, amount=100)
    clicked = ev.exposed_and_clicked("u6", "app.floating_icon", "bb", "d9", D + 4 * DAY_MS)
    ev.order("u6", "broadband", clicked + 7 * DAY_MS, amount=50)
    clicked = ev.exposed_and_clicked("u7", "app.floating_icon", "bb", "d10", D + 4 * DAY_MS)
    ev.order("u7", "broadband", clicked + 7 * DAY_MS + 1, amount=999)
    clicked = ev.exposed_and_clicked("u8", "app.reminder", "mystery", "d11", D + 5 * DAY_MS)
    ev.order("u8", "handset", clicked + HOUR_MS, amount=3000)
    clicked = ev.exposed_and_clicked("u9", "app.reminder", "bb", "d12", D + 2 * DAY_MS + 10 * HOUR_MS)
    ev.flow_step("u9", "bill_payment", 1, "topup", clicked + 5 * MINUTE_MS)
    ev.flow_step("u9", "topup", 1, "topup", clicked + 6 * MINUTE_MS)
    ev.flow_step("u9", "bill_payment", 2, "topup", clicked + 10 * MINUTE_MS)
    ev.flow_step("u9", "topup", 3, "topup", clicked + 31 * MINUTE_MS)
    ev.exposure("u10", "app.reminder", "bb", "d13", D + 2 * DAY_MS)
    ev.flow_step("u10", "bill_payment", 2, "topup", D + 2 * DAY_MS + 5 * MINUTE_MS)
    ev.exposed_and_clicked("u11", "app.banner", "bb", "d14", D - HOUR_MS)
    ev.exposure("u11", "app.banner", "bb", "d15", D + 30 * MINUTE_MS)
    ev.order("u11", "broadband", D + HOUR_MS, amount=999)
    ev.exposed_and_clicked("u12", "app.banner", "bb", "d16", D + 6 * DAY_MS + 23 * HOUR_MS)
    ev.exposed_and_clicked("u12", "app.banner", "bb", "d17", D + 7 * DAY_MS + HOUR_MS)
    ev.order("u12", "broadband", D + 7 * DAY_MS + 2 * HOUR_MS, amount=999)
    ev.exposure("u13", "app.banner", "bb", "d18", D + 2 * HOUR_MS)
    ev.exposure("u13", "app.banner", "bb", "d18", D + 2 * HOUR_MS + 3 * SECOND_MS)  # resent, new id
    ev.click("u13", "app.banner", "bb", "d18", D + 2 * HOUR_MS + CLICK_AFTER_MS, event_id="c18")
    ev.click("u13", "app.banner", "bb", "d18", D + 2 * HOUR_MS + CLICK_AFTER_MS, event_id="c18")  # same id
    clicked = ev.exposed_and_clicked("u14", "app.home_floor", "dp10", "d19", D + DAY_MS)
    ev.order("u14", "data_pack", clicked + HOUR_MS, amount=999, product="dp-30g")
    ev.order("u14", "data_pack", clicked + 2 * HOUR_MS, amount=10, product="dp-10g")
    ev.exposed_and_clicked("u15", "web.login_popup", "bb", "d20", D + DAY_MS)
    ev.order("u15", "plan", D + DAY_MS + HOUR_MS, amount=999)
    return ev


@pytest.fixture
def loaded(wh: Warehouse) -> Warehouse:
    insert_events(wh, world().records)
    return wh


COLUMNS = ("exposures", "reach", "clicks", "conversions", "order_amount", "service_transactions")


def table(report) -> dict[tuple, tuple]:  # type: ignore[no-untyped-def]
    return {
        (row.period.isoformat(), *row.dims.values()): tuple(getattr(row, c) for c in COLUMNS) for row in report.rows
    }


def test_per_day_and_slot_every_attribution_rule(loaded: Warehouse) -> None:
    report = touchpoint_results(loaded, SEPTEMBER_1_TO_7, "day", ("slot",), mapped())
    #                                              exp reach clk conv amount service
    assert table(report) == {
        ("2026-09-01", "app.banner"): (3, 3, 2, 1, 300.0, 0),  # d1 d15 d18, clicks d1 d18, d1 converts
        ("2026-09-01", "app.login_popup"): (2, 2, 0, 1, 200.0, 0),  # d3 converts at the edge, d4 does not
        ("2026-09-01", "web.banner"): (1, 1, 1, 0, 0.0, 0),  # d5 lost u4's order to d6
        ("2026-09-01", "wechat.menu_banner"): (1, 1, 1, 1, 100.0, 0),  # d7's click beats d8's exposure
        ("2026-09-02", "app.home_floor"): (2, 2, 1, 1, 10.0, 0),  # d2, d19 (dp-10g order only)
        ("2026-09-02", "web.login_popup"): (1, 1, 1, 0, 0.0, 0),  # d20: a plan order is not broadband
        ("2026-09-02", "wechat.home_floor"): (1, 1, 0, 0, 0.0, 0),  # d8
        ("2026-09-03", "app.reminder"): (2, 2, 1, 0, 0.0, 2),  # d12 clicked: 2 bill steps, d13 not clicked
        ("2026-09-03", "web.home_floor"): (1, 1, 1, 1, 500.0, 0),  # d6
        ("2026-09-05", "app.floating_icon"): (2, 2, 2, 1, 50.0, 0),  # d9 at the click window's edge, d10 past it
        ("2026-09-06", "app.reminder"): (1, 1, 1, 1, 3000.0, 0),  # d11: unmapped campaign, any business
        ("2026-09-07", "app.banner"): (1, 1, 1, 0, 0.0, 0),  # d16: u12's order went to d17, after the range
    }


def test_value_is_publicity_plus_marketing_plus_service(loaded: Warehouse) -> None:
    report = touchpoint_results(loaded, SEPTEMBER_1_TO_7, "total", (), mapped())
    (row,) = report.rows
    assert (row.exposures, row.clicks, row.conversions, row.service_transactions) == (18, 12, 7, 2)
    assert row.value.publicity_yuan == pytest.approx(18 * 0.05)
    assert row.value.marketing_yuan == pytest.approx(7 * 3.0)
    assert row.value.service_yuan == pytest.approx(2 * 1.08)
    assert row.value.cost_yuan == 0
    assert row.value.total_yuan == pytest.approx(0.9 + 21 + 2.16)
    assert row.ctr == pytest.approx(12 / 18)
    assert row.conversion_rate == pytest.approx(7 / 18)
    assert row.order_amount == pytest.approx(300 + 200 + 500 + 100 + 50 + 3000 + 10)


def test_weeks_by_channel_count_reach_once_per_week(loaded: Warehouse) -> None:
    report = touchpoint_results(loaded, SEPTEMBER_1_TO_7, "week", ("channel",), mapped())
    assert table(report) == {
        # Monday 31 August: 1-6 September. u1 saw two campaigns, one user.
        ("2026-08-31", "app"): (12, 11, 7, 5, 3560.0, 2),
        ("2026-08-31", "web"): (3, 2, 3, 1, 500.0, 0),
        ("2026-08-31", "wechat"): (2, 1, 1, 1, 100.0, 0),
        ("2026-09-07", "app"): (1, 1, 1, 0, 0.0, 0),
    }


@pytest.mark.parametrize(
    ("grain", "period"),
    [("month", "2026-09-01"), ("quarter", "2026-07-01"), ("year", "2026-01-01"), ("total", "2026-09-01")],
)
def test_longer_grains_hold_the_whole_week(loaded: Warehouse, grain: str, period: str) -> None:
    report = touchpoint_results(loaded, SEPTEMBER_1_TO_7, grain, ("campaign",), mapped())
    assert table(report) == {
        (period, "bb"): (15, 13, 10, 5, 1150.0, 2),
        (period, "dp"): (1, 1, 0, 0, 0.0, 0),
        (period, "dp10"): (1, 1, 1, 1, 10.0, 0),
        (period, "mystery"): (1, 1, 1, 1, 3000.0, 0),
    }


def test_slot_kind_and_business_dimensions(loaded: Warehouse) -> None:
    report = touchpoint_results(loaded, SEPTEMBER_1_TO_7, "total", ("slot_kind", "business"), mapped())
    got = {tuple(row.dims.values()): (row.exposures, row.conversions) for row in report.rows}
    assert got == {
        ("banner", "broadband"): (6, 2),  # app.banner d1 d15 d18 d16, web.banner d5, wechat.menu_banner d7
        ("floating_icon", "broadband"): (2, 1),
        ("login_popup", "broadband"): (3, 1),
        ("precision_floor", "broadband"): (2, 1),  # web.home_floor d6, wechat.home_floor d8
        ("precision_floor", "data_pack"): (2, 1),  # d2 (dp), d19 (dp10)
        ("reminder", "broadband"): (2, 0),
        ("reminder", ""): (1, 1),  # mystery is unmapped
    }


def test_a_range_sees_only_its_touches(loaded: Warehouse) -> None:
    second = DateRange(start=dt.date(2026, 9, 2), end=dt.date(2026, 9, 2))
    report = touchpoint_results(loaded, second, "day", ("slot",), mapped())
    assert {row.dims["slot"]: row.exposures for row in report.rows} == {
        "app.home_floor": 2,
        "web.login_popup": 1,
        "wechat.home_floor": 1,
    }


def test_campaign_filter_keeps_only_named_campaigns(loaded: Warehouse) -> None:
    report = touchpoint_results(loaded, SEPTEMBER_1_TO_7, "total", ("campaign",), mapped(), campaigns=["dp10"])
    assert table(report) == {("2026-09-01", "dp10"): (1, 1, 1, 1, 10.0, 0)}


def test_without_exposure_credit_only_clicks_convert(loaded: Warehouse) -> None:
    params = mapped()
    params = params.model_copy(
        update={"attribution": params.attribution.model_copy(update={"exposure_window_days": 0})}
    )
    report = touchpoint_results(loaded, SEPTEMBER_1_TO_7, "total", ("slot",), params)
    converted = {row.dims["slot"]: row.conversions for row in report.rows if row.conversions}
    assert "app.login_popup" not in converted  # d3 was exposure-only
    assert sum(converted.values()) == 6


def test_empty_warehouse_gives_no_rows(wh: Warehouse) -> None:
    assert touchpoint_results(wh, SEPTEMBER_1_TO_7, "day", ("slot",), mapped()).rows == []
