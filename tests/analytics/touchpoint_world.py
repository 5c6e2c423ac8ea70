"""A small world of touches and outcomes whose touchpoint results are worked out by hand.

Times from D = 2026-09-01 00:00 UTC, range 1-7 September; x+c = exposure and a click 10 s
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

from analytics.touchpoint_value import DateRange, ValueParameters, default_parameters
from analytics.touchpoint_value.parameters import CampaignTarget
from tests.analytics.touchpoint_events import CLICK_AFTER_MS, DAY_MS, HOUR_MS, MINUTE_MS, SECOND_MS, D, Events

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


def decisions() -> Events:
    """Campaign bb (sells broadband) shown to t1..t5, held out for c1..c4, both for x1; dp shown to t1."""
    ev = Events()
    first = D + HOUR_MS
    ev.decision("t1", "app.banner", first, shown="bb,dp")
    ev.decision("t1", "app.home_floor", first + 3 * DAY_MS, shown="bb")  # later decision: entry stays first
    ev.order("t1", "broadband", first + 2 * DAY_MS)  # converts
    ev.decision("t2", "app.banner", first, shown="bb")
    ev.order("t2", "broadband", first + 7 * DAY_MS)  # converts: exactly at the window's end
    ev.decision("t3", "web.banner", first, shown="bb")
    ev.order("t3", "broadband", first + 7 * DAY_MS + 1)  # 1 ms too late
    ev.decision("t4", "web.banner", first, shown="bb")
    ev.order("t4", "plan", first + HOUR_MS)  # not what bb sells
    ev.decision("t5", "wechat.home_floor", first, shown="bb")
    ev.decision("c1", "app.banner", first, holdout="bb")
    ev.order("c1", "broadband", first + DAY_MS)  # converts
    ev.decision("c2", "app.banner", first, shown="other", holdout="bb")
    ev.order("c3", "broadband", first - HOUR_MS)  # before its decision: no
    ev.decision("c3", "web.banner", first, holdout="bb")
    ev.decision("c4", "web.banner", first)  # an empty decision: nothing shown, nothing held out
    ev.decision("c4", "web.banner", first + HOUR_MS, holdout="bb")
    ev.decision("x1", "app.banner", first, shown="bb")
    ev.decision("x1", "app.banner", first + HOUR_MS, holdout="bb")
    ev.decision("late", "app.banner", D + 8 * DAY_MS, shown="bb")  # after the range
    return ev
