"""Every tag family at its boundaries, on the shipped definitions (default parameters)."""

from __future__ import annotations

from tagging.changes import TagChange
from tagging.engine import TagEngine
from tagging.profiles.keys import utc_date
from tagging.state import UserState
from tests.tagging.builders import DAY, MINUTE, T0, ev, order, step

SECOND = 1000
ABANDON = "abandoned_mid_flow:plan_upgrade"


def run(engine: TagEngine, events: list[dict], until: int | None = None) -> tuple[UserState, list[TagChange]]:
    state, out = UserState(), []
    for event in events:
        out += engine.on_event(state, event)
    if until is not None:
        out += engine.advance(state, until)
    return state, out


def of(changes: list[TagChange], tag: str) -> list[tuple[str, int, int | None]]:
    return [(c.action, c.ts_ms, c.expires_at_ms) for c in changes if c.tag == tag]


# -- abandoned_mid_flow -----------------------------------------------------------------


def test_abandoned_set_exactly_window_after_latest_step(engine: TagEngine) -> None:
    events = [step(T0, "plan_upgrade", 1, "plan"), step(T0 + 10 * MINUTE, "plan_upgrade", 2, "plan")]
    state, out = run(engine, events)
    assert of(out, ABANDON) == []
    assert engine.next_due(state) == T0 + 40 * MINUTE
    assert engine.advance(state, T0 + 40 * MINUTE - 1) == []
    fired = engine.advance(state, T0 + 40 * MINUTE)
    assert of(fired, ABANDON) == [("set", T0 + 40 * MINUTE, T0 + 40 * MINUTE + 7 * DAY)]


def test_completion_one_second_before_window_closes_never_sets(engine: TagEngine) -> None:
    last = T0 + 30 * MINUTE - SECOND
    _, out = run(engine, [step(T0, "plan_upgrade", 1, "plan"), step(last, "plan_upgrade", 3, "plan")], T0 + DAY)
    assert of(out, ABANDON) == []


def test_completion_one_second_after_window_sets_then_clears(engine: TagEngine) -> None:
    last = T0 + 30 * MINUTE + SECOND
    _, out = run(engine, [step(T0, "plan_upgrade", 1, "plan"), step(last, "plan_upgrade", 3, "plan")], T0 + DAY)
    assert of(out, ABANDON) == [
        ("set", T0 + 30 * MINUTE, T0 + 30 * MINUTE + 7 * DAY),
        ("cleared", last, None),
    ]


def test_completion_at_exact_close_sets_then_clears_at_same_time(engine: TagEngine) -> None:
    close = T0 + 30 * MINUTE
    _, out = run(engine, [step(T0, "plan_upgrade", 1, "plan"), step(close, "plan_upgrade", 3, "plan")])
    assert [(a, t) for a, t, _ in of(out, ABANDON)] == [("set", close), ("cleared", close)]
    assert [c.seq for c in out if c.tag == ABANDON] == [1, 2]


def test_completion_by_order_of_the_flow_or_of_its_business(engine: TagEngine) -> None:
    start = [step(T0, "plan_upgrade", 2, "plan")]
    for finisher in (order(T0 + DAY, "plan", flow="plan_upgrade"), order(T0 + DAY, "plan")):
        state, out = run(engine, [*start, finisher])
        assert of(out, ABANDON)[-1] == ("cleared", T0 + DAY, None)
        assert ABANDON not in state.tags
    # an order of another flow of the same business does not complete this one
    state, _ = run(engine, [*start, order(T0 + DAY, "plan", flow="family_plan_join")])
    assert ABANDON in state.tags


def test_later_step_moves_the_window(engine: TagEngine) -> None:
    events = [step(T0, "plan_upgrade", 1, "plan"), step(T0 + 29 * MINUTE, "plan_upgrade", 1, "plan")]
    _, out = run(engine, events, T0 + DAY)
    assert of(out, ABANDON)[0][:2] == ("set", T0 + 59 * MINUTE)


def test_abandoned_expires_after_retention(engine: TagEngine) -> None:
    set_at = T0 + 30 * MINUTE
    state, out = run(engine, [step(T0, "plan_upgrade", 1, "plan")], set_at + 7 * DAY - 1)
    assert ABANDON in state.tags
    out = engine.advance(state, set_at + 7 * DAY)
    assert of(out, ABANDON) == [("cleared", set_at + 7 * DAY, None)]
    assert engine.next_due(state) is None or engine.next_due(state) > set_at + 7 * DAY


def test_abandoning_again_refreshes_the_expiry_and_keeps_set_at(engine: TagEngine) -> None:
    events = [step(T0, "plan_upgrade", 1, "plan"), step(T0 + DAY, "plan_upgrade", 2, "plan")]
    state, out = run(engine, events, T0 + 2 * DAY)
    again = T0 + DAY + 30 * MINUTE
    assert of(out, ABANDON) == [
        ("set", T0 + 30 * MINUTE, T0 + 30 * MINUTE + 7 * DAY),
        ("set", again, again + 7 * DAY),
    ]
    assert state.tags[ABANDON] == [T0 + 30 * MINUTE, again + 7 * DAY]


# -- browser ------------------------------------------------------------------------------


def view(ts: int, business: str = "plan", user: str = "u1") -> dict:
    return ev("page_view", ts, user, business=business)


def test_browser_set_at_third_view_and_cleared_when_oldest_expires(engine: TagEngine) -> None:
    views = [view(T0), view(T0 + DAY), view(T0 + 2 * DAY)]
    state, out = run(engine, views[:2])
    assert of(out, "browser:plan") == []
    out = engine.on_event(state, views[2])
    assert of(out, "browser:plan") == [("set", T0 + 2 * DAY, T0 + 7 * DAY)]
    out = engine.advance(state, T0 + 7 * DAY - 1)
    assert of(out, "browser:plan") == []
    out = engine.advance(state, T0 + 7 * DAY)
    assert of(out, "browser:plan") == [("cleared", T0 + 7 * DAY, None)]


def test_browser_window_slides(engine: TagEngine) -> None:
    views = [view(T0), view(T0 + DAY), view(T0 + 2 * DAY), view(T0 + 6 * DAY)]
    _, out = run(engine, views, T0 + 20 * DAY)
    # the 4th view keeps three views in the window: the expiry moves to the 2nd view + 7 days
    assert of(out, "browser:plan") == [
        ("set", T0 + 2 * DAY, T0 + 7 * DAY),
        ("set", T0 + 6 * DAY, T0 + 8 * DAY),
        ("cleared", T0 + 8 * DAY, None),
    ]


def test_views_spread_wider_than_the_window_never_set(engine: TagEngine) -> None:
    _, out = run(engine, [view(T0), view(T0 + 4 * DAY), view(T0 + 7 * DAY)], T0 + 30 * DAY)
    assert of(out, "browser:plan") == []


def test_browser_cleared_by_order_and_blocked_while_it_is_in_the_window(engine: TagEngine) -> None:
    views = [view(T0), view(T0 + MINUTE), view(T0 + 2 * MINUTE)]
    state, out = run(engine, [*views, order(T0 + 3 * MINUTE, "plan")])
    assert of(out, "browser:plan")[-1] == ("cleared", T0 + 3 * MINUTE, None)
    out = engine.on_event(state, view(T0 + 4 * MINUTE))
    assert of(out, "browser:plan") == []  # the order is still within 7 days
    # an order of another business line changes nothing
    _, out = run(engine, [*views, order(T0 + 3 * MINUTE, "handset")])
    assert of(out, "browser:plan") == [("set", T0 + 2 * MINUTE, T0 + 7 * DAY)]


def test_browser_set_when_the_order_leaves_the_window(engine: TagEngine) -> None:
    o = T0 + 3 * DAY
    events = [order(o, "plan"), view(o + DAY), view(o + 2 * DAY), view(o + 3 * DAY)]
    _, out = run(engine, events, o + 20 * DAY)
    assert of(out, "browser:plan")[0] == ("set", o + 7 * DAY, o + 8 * DAY)


def test_hot_browser_variant_has_its_own_parameters(engine: TagEngine) -> None:
    views = [view(T0 + i * MINUTE) for i in range(5)]
    state, out = run(engine, views)
    assert of(out, "browser:plan/hot") == [("set", T0 + 4 * MINUTE, T0 + DAY)]
    assert "browser:plan" in state.tags


# -- orderer, sharer, key touchpoint clicker, referrer ---------------------------------------


def test_orderer_for_thirty_days_from_the_latest_order(engine: TagEngine) -> None:
    _, out = run(engine, [order(T0, "broadband"), order(T0 + 10 * DAY, "broadband")], T0 + 60 * DAY)
    assert of(out, "orderer:broadband") == [
        ("set", T0, T0 + 30 * DAY),
        ("set", T0 + 10 * DAY, T0 + 40 * DAY),
        ("cleared", T0 + 40 * DAY, None),
    ]


def test_sharer(engine: TagEngine) -> None:
    share = ev("share", T0, business="handset", campaign="c", share_id="x")
    _, out = run(engine, [share], T0 + 31 * DAY)
    assert of(out, "sharer:handset") == [("set", T0, T0 + 30 * DAY), ("cleared", T0 + 30 * DAY, None)]


def test_key_touchpoint_clicker_only_for_key_slots(engine: TagEngine) -> None:
    props = {"campaign": "c", "content_id": "x", "decision_id": "d"}
    clicks = [ev("touchpoint_click", T0, slot="app.banner", **props)]
    clicks.append(ev("touchpoint_click", T0, slot="app.bill_page_recommend", **props))  # not key
    clicks.append(ev("touchpoint_exposure", T0, slot="app.login_popup", **props))  # not a click
    state, out = run(engine, clicks)
    assert [c.tag for c in out] == ["key_touchpoint_clicker:app.banner"]
    assert state.tags["key_touchpoint_clicker:app.banner"] == [T0, T0 + 30 * DAY]


def test_referrer_counts_referral_credits(engine: TagEngine) -> None:
    credit = ev("referral_credit", T0 + DAY, business="plan", share_id="s1", visitor="u2")
    state, out = run(engine, [credit], T0 + 40 * DAY)
    assert of(out, "referrer:plan") == [("set", T0 + DAY, T0 + 31 * DAY), ("cleared", T0 + 31 * DAY, None)]
    assert state.business.last_active_day is None  # a credit is not the user's own event


# -- silent churn -------------------------------------------------------------------------------


CHURN = "silent_churn_risk"


def test_silent_churn_set_after_seven_quiet_days_and_cleared_by_next_activity(engine: TagEngine) -> None:
    days = [view(T0 + d * DAY + 5 * MINUTE) for d in (0, 3, 10)]
    last = days[-1]["ts"]
    state, out = run(engine, days)
    assert engine.next_due(state) == last + 7 * DAY
    assert of(engine.advance(state, last + 7 * DAY - 1), CHURN) == []
    assert of(engine.advance(state, last + 7 * DAY), CHURN) == [("set", last + 7 * DAY, None)]
    out = engine.on_event(state, ev("click", last + 9 * DAY, element="x"))
    assert of(out, CHURN) == [("cleared", last + 9 * DAY, None)]


def test_silent_churn_needs_enough_distinct_days_in_the_four_weeks(engine: TagEngine) -> None:
    same_day = [view(T0 + h * 3600_000) for h in range(5)]
    _, out = run(engine, same_day, T0 + 30 * DAY)
    assert of(out, CHURN) == []
    # the first active day is 28 days before the last: outside the 4 weeks ending that day
    spread = [view(T0), view(T0 + 27 * DAY), view(T0 + 28 * DAY)]
    _, out = run(engine, spread, T0 + 60 * DAY)
    assert of(out, CHURN) == []
    spread = [view(T0 + DAY), view(T0 + 27 * DAY), view(T0 + 28 * DAY)]
    _, out = run(engine, spread, T0 + 60 * DAY)
    assert of(out, CHURN) == [("set", T0 + 35 * DAY, None)]


def test_back_end_events_are_not_activity(engine: TagEngine) -> None:
    days = [view(T0 + d * DAY) for d in (0, 1, 2)]
    backend = [ev("data_usage", T0 + 5 * DAY, used_pct=90.0), ev("topup", T0 + 8 * DAY, amount=50)]
    state, out = run(engine, [*days, *backend], T0 + 20 * DAY)
    assert of(out, CHURN) == [("set", T0 + 9 * DAY, None)]
    assert state.business.last_active_day == utc_date(T0 + 8 * DAY)


# -- business state and time -----------------------------------------------------------------


def test_business_state_is_kept(engine: TagEngine) -> None:
    events = [
        ev("data_usage", T0, used_pct=85.5),
        ev("balance_low", T0 + 1, balance=3.2),
        ev("arrears", T0 + 2, amount_due=20),
        ev("broadband_contract", T0 + 3, expires_on="2026-12-31"),
        ev("unsubscribe", T0 + 4, product="video-vip"),
        ev("unsubscribe", T0 + 5, product="cloud-drive"),
        order(T0 + 6, "new_services", product="video-vip"),
    ]
    state, _ = run(engine, events)
    b = state.business
    assert (b.used_pct, b.balance, b.arrears, b.arrears_amount) == (85.5, 3.2, True, 20)
    assert b.broadband_expires_on == "2026-12-31"
    assert b.unsubscribed == ["cloud-drive"]  # ordering the product again resubscribes
    engine.on_event(state, ev("topup", T0 + 7, amount=100))
    assert (b.arrears, b.last_topup_ts, b.last_topup_amount, b.updated_at) == (False, T0 + 7, 100, T0 + 7)
    assert b.last_active_day == utc_date(T0 + 7)


def test_late_event_is_applied_at_the_user_clock(engine: TagEngine) -> None:
    state, _ = run(engine, [view(T0 + DAY)])
    out = engine.on_event(state, order(T0, "plan"))
    assert of(out, "orderer:plan") == [("set", T0 + DAY, T0 + 31 * DAY)]
    assert state.clock == T0 + DAY


def test_state_round_trips_through_bytes_mid_stream(engine: TagEngine) -> None:
    events = [
        step(T0, "plan_upgrade", 1, "plan"),
        view(T0 + 1),
        view(T0 + 2),
        view(T0 + 3),
        order(T0 + 4, "topup"),
    ]
    state, _ = run(engine, events)
    copy = UserState.from_bytes(state.to_bytes())
    assert copy == state
    assert engine.advance(copy, T0 + 60 * DAY) == engine.advance(state, T0 + 60 * DAY)
    assert len(state.to_bytes()) < 1000
