"""The funnel semantics of docs/funnels.md, pinned on hand-built data on both engines."""

from __future__ import annotations

import datetime as dt

import pytest

from analytics.funnels import FunnelResult, build_spec, drop_off_users, run_funnel, time_to_convert
from tests.analytics.conftest import T0, event, flow_step
from warehouse import Warehouse
from warehouse.sources import insert_events

WINDOW_S = 1800


def plan_upgrade(**fields: object):
    steps = [{"event": "flow_step", "where": {"flow": "plan_upgrade", "step": str(k)}} for k in (1, 2, 3)]
    return build_spec(steps=steps, window_seconds=WINDOW_S, **fields)


def users(result: FunnelResult) -> list[int]:
    return [s.users for s in result.steps]


def by_value(result: FunnelResult) -> dict[str, list[int]]:
    return {value: [s.users for s in r.steps] for value, r in result.breakdown.items()}


def test_events_count_in_event_time_order_whatever_the_insert_order(wh: Warehouse) -> None:
    records = [flow_step("a", 3, 20), flow_step("a", 2, 10), flow_step("a", 1, 0)]  # arrive newest first
    records += [flow_step("b", 2, 0), flow_step("b", 1, 10), flow_step("b", 3, 20)]  # 2 happened before 1
    insert_events(wh, records)
    result = run_funnel(plan_upgrade(), wh)
    assert users(result) == [2, 1, 1]  # b: step 1 at 10 s, no step 2 after it
    assert [s.median_seconds_to_convert for s in result.steps] == [None, 10.0, 10.0]
    # time is the `ts` second: inside one second, events are taken in step order
    insert_events(wh, [flow_step("c", 2, 100.2), flow_step("c", 1, 100.8), flow_step("c", 3, 101)])
    assert users(run_funnel(plan_upgrade(), wh)) == [3, 2, 2]


def test_repeated_steps_need_distinct_events_and_time_counts_from_the_latest_repeat(wh: Warehouse) -> None:
    view = {"event": "page_view", "where": {"business": "plan"}}
    twice = build_spec(steps=[view, view], window_seconds=WINDOW_S)
    insert_events(wh, [event("once", "page_view", 0, business="plan")])
    insert_events(
        wh, [event("twice", "page_view", 0, business="plan"), event("twice", "page_view", 5, business="plan")]
    )
    assert users(run_funnel(twice, wh)) == [2, 1]
    # step 1 repeated before step 2: the conversion is timed from the last step-1 event
    insert_events(wh, [flow_step("r", 1, 0), flow_step("r", 1, 100), flow_step("r", 2, 130), flow_step("r", 3, 140)])
    result = run_funnel(plan_upgrade(), wh)
    assert users(result) == [1, 1, 1]
    assert result.steps[1].median_seconds_to_convert == 30.0


def test_window_is_inclusive_at_the_edge_and_excludes_one_second_past(wh: Warehouse) -> None:
    insert_events(wh, [flow_step("edge", 1, 0), flow_step("edge", 2, 60), flow_step("edge", 3, WINDOW_S)])
    insert_events(wh, [flow_step("past", 1, 0), flow_step("past", 2, 60), flow_step("past", 3, WINDOW_S + 1)])
    result = run_funnel(plan_upgrade(breakdown="ua_device"), wh)
    assert users(result) == [2, 2, 1]
    dropped = drop_off_users(plan_upgrade(), 2, wh)
    assert [u.user_id for u in dropped] == ["past"]
    assert dropped[0].reached_at_ms == T0 + 60_000


def test_a_user_who_enters_twice_counts_once_with_their_best_attempt(wh: Warehouse) -> None:
    day = 86_400
    # first attempt stalls at step 1, the second (next day) completes
    insert_events(wh, [flow_step("again", 1, 0), flow_step("again", 2, 50)])
    insert_events(wh, [flow_step("again", 1, day), flow_step("again", 2, day + 7), flow_step("again", 3, day + 9)])
    result = run_funnel(plan_upgrade(), wh)
    assert users(result) == [1, 1, 1]
    assert [s.median_seconds_to_convert for s in result.steps] == [None, 7.0, 2.0]  # the attempt that counts
    # re-entry inside the sequence: the first start's window has passed at step 2, the second start's has not
    insert_events(
        wh, [flow_step("late", 1, 0), flow_step("late", 1, WINDOW_S - 10), flow_step("late", 2, WINDOW_S + 5)]
    )
    assert users(run_funnel(plan_upgrade(), wh)) == [2, 2, 1]


def test_exclusions_remove_users_between_their_steps_only(wh: Warehouse) -> None:
    insert_events(wh, [flow_step("x", 1, 0), event("x", "arrears", 5), flow_step("x", 2, 10), flow_step("x", 3, 20)])
    insert_events(wh, [event("before", "arrears", 0), flow_step("before", 1, 5), flow_step("before", 2, 10)])
    insert_events(wh, [flow_step("after", 1, 0), flow_step("after", 2, 5), flow_step("after", 3, 6)])
    insert_events(wh, [event("after", "arrears", 7)])
    # stalled at step 1: an exclusion later inside the window still removes them ...
    insert_events(wh, [flow_step("stalled", 1, 0), event("stalled", "arrears", WINDOW_S)])
    # ... one past the window does not
    insert_events(wh, [flow_step("gone", 1, 0), event("gone", "arrears", WINDOW_S + 1)])
    whole = run_funnel(plan_upgrade(exclusions=[{"event": "arrears"}]), wh)
    assert users(whole) == [3, 2, 1]  # before, after, gone
    assert {u.user_id for u in drop_off_users(plan_upgrade(exclusions=[{"event": "arrears"}]), 1, wh)} == {"gone"}
    # between steps 1 and 2 only: x's arrears (between 0 and 1) no longer counts
    late = run_funnel(plan_upgrade(exclusions=[{"event": "arrears", "between": [1, 2]}]), wh)
    assert users(late) == [5, 3, 2]


def test_strict_mode_breaks_on_another_funnel_event_but_not_on_other_events(wh: Warehouse) -> None:
    insert_events(
        wh, [flow_step("jump", 1, 0), flow_step("jump", 3, 5), flow_step("jump", 2, 10), flow_step("jump", 3, 15)]
    )
    insert_events(
        wh, [flow_step("clean", 1, 0), event("clean", "page_view", 3, business="plan"), flow_step("clean", 2, 5)]
    )
    insert_events(wh, [flow_step("clean", 3, 9)])
    insert_events(wh, [flow_step("restart", 1, 0), flow_step("restart", 1, 4), flow_step("restart", 2, 6)])
    assert users(run_funnel(plan_upgrade(), wh)) == [3, 3, 2]
    assert users(run_funnel(plan_upgrade(mode="strict"), wh)) == [3, 2, 1]


def test_breakdown_is_the_first_touch_value(wh: Warehouse) -> None:
    insert_events(wh, [flow_step("m", 1, 0, channel="web"), flow_step("m", 1, 100, channel="app")])
    insert_events(wh, [flow_step("m", 2, 110, channel="app"), flow_step("m", 3, 120, channel="app")])
    insert_events(wh, [flow_step("w", 1, 0, channel="wechat")])
    result = run_funnel(plan_upgrade(breakdown="channel"), wh)
    assert by_value(result) == {"web": [1, 1, 1], "wechat": [1, 0, 0]}
    assert [u.user_id for u in drop_off_users(plan_upgrade(breakdown="channel"), 1, wh, breakdown_value="wechat")] == [
        "w"
    ]
    assert drop_off_users(plan_upgrade(breakdown="channel"), 1, wh, breakdown_value="web") == []


def test_date_range_keeps_only_events_inside_the_utc_days(wh: Warehouse) -> None:
    day = dt.datetime.fromtimestamp(T0 / 1000, dt.UTC).date()
    seconds_to_midnight = 86_400 - (T0 // 1000) % 86_400
    insert_events(wh, [flow_step("in", 1, 0), flow_step("in", 2, 10)])
    # starts on the last day of the range, its step 2 falls on the next day: not seen
    insert_events(wh, [flow_step("edge", 1, seconds_to_midnight - 5), flow_step("edge", 2, seconds_to_midnight)])
    insert_events(wh, [flow_step("old", 1, -86_400)])
    assert users(run_funnel(plan_upgrade(date_from=day, date_to=day), wh)) == [2, 1, 0]
    assert users(run_funnel(plan_upgrade(date_from=day, date_to=day + dt.timedelta(days=1)), wh)) == [2, 2, 0]
    assert users(run_funnel(plan_upgrade(), wh)) == [3, 2, 0]


def test_time_to_convert_median_p90_and_histogram(wh: Warehouse) -> None:
    for i, gap in enumerate([10, 20, 30, 40, 50, 60, 70, 80, 90, 100]):
        insert_events(wh, [flow_step(f"u{i}", 1, 0), flow_step(f"u{i}", 2, gap)])
    result = run_funnel(plan_upgrade(), wh)
    # quantileExact: the value at rank floor(q * n) of the sorted times (0-based), no interpolation
    assert (result.steps[1].median_seconds_to_convert, result.steps[1].p90_seconds_to_convert) == (60.0, 100.0)
    assert result.steps[2].median_seconds_to_convert is None
    bins = time_to_convert(plan_upgrade(), 1, wh, bins=30)  # 60 s bins over the 30 min window
    assert [(b.start_seconds, b.users) for b in bins[:2]] == [(0.0, 5), (60.0, 5)]
    assert sum(b.users for b in bins) == 10


def test_empty_funnel_has_zeros_and_no_drop(wh: Warehouse) -> None:
    result = run_funnel(plan_upgrade(breakdown="channel"), wh)
    assert users(result) == [0, 0, 0]
    assert result.biggest_drop is None
    assert result.breakdown == {}
    assert result.to_json()["biggest_drop"] is None


@pytest.mark.parametrize("value", ["'; DROP TABLE events_raw; --", "x\\' OR 1=1 --", "\n\r\x00", "{s0_event:String}"])
def test_hostile_values_are_data_not_sql(wh: Warehouse, value: str) -> None:
    insert_events(wh, [event("h", "page_view", 0, ref_share_id=value), event("h", "click", 1, element=value)])
    spec = build_spec(
        steps=[
            {"event": "page_view", "where": {"ref_share_id": value}},
            {"event": "click", "where": {"element": value}},
        ],
        window_seconds=60,
        breakdown="ref_share_id",
    )
    result = run_funnel(spec, wh)
    assert users(result) == [1, 1]
    assert list(result.breakdown) == [value]
    assert wh.query("SELECT count() FROM events").scalar() == 2
