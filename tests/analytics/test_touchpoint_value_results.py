"""Touchpoint results on both engines, against the figures worked out by hand in touchpoint_world.py."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from analytics.touchpoint_value import DateRange, campaign_results, lift, slot_results, touchpoint_results, value
from analytics.touchpoint_value.parameters import CampaignTarget
from analytics.touchpoint_value.ranking import known_products
from core.processes import wait_until
from tests.analytics.test_touchpoint_value_lift import decisions
from tests.analytics.touchpoint_events import HOUR_MS, MINUTE_MS, D, Events
from tests.analytics.touchpoint_world import SEPTEMBER_1_TO_7, mapped, world
from tests.warehouse.conftest import publish_job_events, running_owner
from warehouse import Warehouse
from warehouse.client import run_query
from warehouse.sources import insert_events

pytestmark = pytest.mark.integration


COLUMNS = ("exposures", "reach", "clicks", "conversions", "order_amount", "service_transactions")


def table(report) -> dict[tuple, tuple]:  # type: ignore[no-untyped-def]
    return {
        (row.period.isoformat(), *row.dims.values()): tuple(getattr(row, c) for c in COLUMNS) for row in report.rows
    }


def test_per_day_and_slot_every_attribution_rule(touchpoint_world: Warehouse) -> None:
    report = touchpoint_results(touchpoint_world, SEPTEMBER_1_TO_7, "day", ("slot",), mapped())
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


def test_value_is_publicity_plus_marketing_plus_service(touchpoint_world: Warehouse) -> None:
    report = touchpoint_results(touchpoint_world, SEPTEMBER_1_TO_7, "total", (), mapped())
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


def test_weeks_by_channel_count_reach_once_per_week(touchpoint_world: Warehouse) -> None:
    report = touchpoint_results(touchpoint_world, SEPTEMBER_1_TO_7, "week", ("channel",), mapped())
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
def test_longer_grains_hold_the_whole_week(touchpoint_world: Warehouse, grain: str, period: str) -> None:
    report = touchpoint_results(touchpoint_world, SEPTEMBER_1_TO_7, grain, ("campaign",), mapped())
    assert table(report) == {
        (period, "bb"): (15, 13, 10, 5, 1150.0, 2),
        (period, "dp"): (1, 1, 0, 0, 0.0, 0),
        (period, "dp10"): (1, 1, 1, 1, 10.0, 0),
        (period, "mystery"): (1, 1, 1, 1, 3000.0, 0),
    }


def test_slot_kind_and_business_dimensions(touchpoint_world: Warehouse) -> None:
    report = touchpoint_results(touchpoint_world, SEPTEMBER_1_TO_7, "total", ("slot_kind", "business"), mapped())
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


def test_a_range_sees_only_its_touches(touchpoint_world: Warehouse) -> None:
    second = DateRange(start=dt.date(2026, 9, 2), end=dt.date(2026, 9, 2))
    report = touchpoint_results(touchpoint_world, second, "day", ("slot",), mapped())
    assert {row.dims["slot"]: row.exposures for row in report.rows} == {
        "app.home_floor": 2,
        "web.login_popup": 1,
        "wechat.home_floor": 1,
    }


def test_campaign_filter_keeps_only_named_campaigns(touchpoint_world: Warehouse) -> None:
    report = touchpoint_results(
        touchpoint_world, SEPTEMBER_1_TO_7, "total", ("campaign",), mapped(), campaigns=["dp10"]
    )
    assert table(report) == {("2026-09-01", "dp10"): (1, 1, 1, 1, 10.0, 0)}


def test_without_exposure_credit_only_clicks_convert(touchpoint_world: Warehouse) -> None:
    params = mapped()
    params = params.model_copy(
        update={"attribution": params.attribution.model_copy(update={"exposure_window_days": 0})}
    )
    report = touchpoint_results(touchpoint_world, SEPTEMBER_1_TO_7, "total", ("slot",), params)
    converted = {row.dims["slot"]: row.conversions for row in report.rows if row.conversions}
    assert "app.login_popup" not in converted  # d3 was exposure-only
    assert sum(converted.values()) == 6


def test_a_campaign_that_sells_nothing_is_never_credited(wh: Warehouse) -> None:
    ev = Events()
    ev.exposed_and_clicked("u1", "app.banner", "bb", "d1", D)
    ev.exposed_and_clicked("u1", "app.banner", "notice", "d2", D + HOUR_MS)  # later, but sells nothing
    ev.order("u1", "broadband", D + 2 * HOUR_MS)
    insert_events(wh, ev.records)
    params = mapped().with_campaigns({**mapped().campaigns, "notice": CampaignTarget(business="none")})
    report = touchpoint_results(wh, SEPTEMBER_1_TO_7, "total", ("campaign", "business"), params)
    conversions = {tuple(r.dims.values()): r.conversions for r in report.rows}
    assert conversions == {("bb", "broadband"): 1, ("notice", "none"): 0}
    assert known_products(params) == ["broadband", "data_pack", "dp-10g"]


def test_the_service_window_edge_is_inclusive_to_the_millisecond(wh: Warehouse) -> None:
    ev = Events()
    for user, after in (("on_edge", 30 * MINUTE_MS), ("past_edge", 30 * MINUTE_MS + 1)):
        clicked = ev.exposed_and_clicked(user, "app.reminder", "bb", f"d-{user}", D)
        ev.flow_step(user, "bill_payment", 2, "topup", clicked + after)
    insert_events(wh, ev.records)
    (row,) = touchpoint_results(wh, SEPTEMBER_1_TO_7, "total", (), mapped()).rows
    assert (row.clicks, row.service_transactions) == (2, 1)


def test_one_decision_id_reported_by_two_users_is_two_touches(wh: Warehouse) -> None:
    ev = Events()
    ev.exposure("u1", "app.banner", "bb", "same", D)
    ev.exposure("u2", "app.banner", "bb", "same", D + 1)
    ev.exposure("u2", "app.banner", "bb", "same", D + 2)  # u2's resend
    insert_events(wh, ev.records)
    (row,) = touchpoint_results(wh, SEPTEMBER_1_TO_7, "total", (), mapped()).rows
    assert (row.exposures, row.reach) == (2, 2)


def test_empty_warehouse_gives_no_rows(wh: Warehouse) -> None:
    assert touchpoint_results(wh, SEPTEMBER_1_TO_7, "day", ("slot",), mapped()).rows == []


@pytest.mark.slow
def test_through_the_warehouse_owner_as_under_make_run(tmp_path: Path) -> None:
    """With `make run` up, the UI and CLI pass settings: the queries and their arrays go through the owner,
    as people's statements (readonly, with the owner's limits: 2 s and 1,000 rows in this test)."""
    records = world().records + [{**r, "event_id": f"lift-{r['event_id']}"} for r in decisions().records]
    with running_owner(tmp_path / "home") as owner:
        deduplicated = list({(r["user_id"], r["event_id"]): r for r in reversed(records)}.values())
        publish_job_events(owner, "part-world-0-0", deduplicated)  # what the stream job writes: each event once
        unique = len(deduplicated)
        wait_until(lambda: run_query(owner, "SELECT count() FROM events").scalar() == unique, 60, "the world to load")
        (row,) = touchpoint_results(owner, SEPTEMBER_1_TO_7, "total", (), mapped()).rows
        assert (row.exposures, row.reach, row.clicks, row.conversions, row.service_transactions) == (18, 15, 12, 7, 2)
        bb = next(r for r in lift(owner, SEPTEMBER_1_TO_7, params=mapped()) if r.campaign == "bb")
        assert (bb.treated_users, bb.treated_conversions, bb.control_users, bb.control_conversions) == (5, 2, 4, 1)


def test_slot_campaign_and_value_views_lead_with_their_dimension(touchpoint_world: Warehouse) -> None:
    by_slot = slot_results(touchpoint_world, SEPTEMBER_1_TO_7, "total", ("channel", "slot"), mapped())
    assert by_slot.dims == ("slot", "channel")
    by_campaign = campaign_results(touchpoint_world, SEPTEMBER_1_TO_7, "month", ("slot",), mapped(), ["dp10"])
    assert [(r.dims, r.conversions) for r in by_campaign.rows] == [({"campaign": "dp10", "slot": "app.home_floor"}, 1)]
    per_channel = value(touchpoint_world, SEPTEMBER_1_TO_7, params=mapped())
    totals = {r.dims["channel"]: round(r.value.total_yuan, 6) for r in per_channel.rows}
    # app: 13 exposures, 5 conversions, 2 service; web: 3, 1; wechat: 2, 1 (from the weekly table above)
    assert totals == {"app": round(13 * 0.05 + 5 * 3 + 2 * 1.08, 6), "web": 3.15, "wechat": 3.1}
    record = per_channel.rows[0].record()
    assert record["channel"] == "app" and record["value_yuan"] == per_channel.rows[0].value.total_yuan
