"""Every metric of the catalogue, on both engines, against the hand-built world.

Values come from tests/analytics/metrics_oracle.py (plain Python over the same records);
a first test pins a set of them to numbers worked out by hand from the world's story, so
the oracle is itself checked. Each metric is compared by day, week and month, undivided
and by every dimension it allows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest

from analytics.metrics import default_metric_catalogue, metric_series, metric_total
from analytics.metrics.collector_log import collector_log_source
from analytics.metrics.series import ALL
from core.config import load_settings
from tests.analytics import metrics_oracle as oracle
from tests.analytics import metrics_world as world
from tests.analytics.metrics_world import write_segment
from warehouse import Warehouse
from warehouse.loader import Loader
from warehouse.sources import insert_events, quarantine_row

pytestmark = pytest.mark.integration

CATALOGUE = default_metric_catalogue()
FAMILIES = sorted({m.family for m in CATALOGUE.metrics.values()})


@pytest.fixture(scope="module")
def world_wh(module_wh: Warehouse, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Warehouse]:
    insert_events(module_wh, world.event_records())
    settings = load_settings(env={}, home=tmp_path_factory.mktemp("home"))
    write_segment(settings, world.log_records())
    Loader(module_wh, [collector_log_source(settings)]).load_pending()
    module_wh.insert("tag_changes_raw", world.tag_change_rows())
    module_wh.insert("late_events_raw", world.late_event_rows())
    module_wh.insert(
        "quarantine_raw", [quarantine_row(r, "q-0001.jsonl", n) for n, r in enumerate(world.quarantine_records(), 1)]
    )
    rejects, files = world.stream_reject_rows()
    module_wh.insert("stream_rejects_raw", rejects)
    module_wh.insert("loaded_files", files)
    yield module_wh


def day_0(wh: Warehouse, name: str) -> float | None:
    series = metric_series(name, "day", None, world.FIRST, world.FIRST, target=wh)
    return series.line(ALL).points[0].value


HAND_CHECKED_DAY_0 = {
    "page_views": 3,  # u1, u2, u3
    "active_users": 4,  # u1, u2, u3, u5 (u7 has back-end events only)
    "sessions": 4,  # s1a, s2a, s3a, s5a
    "next_day_retention": 75.0,  # u1, u2, u5 back on day 1, u3 not
    "flow_step_events": 9,  # u1: steps 1, 1, 2, 3; u2: 1, 2; u5: 1, 2, 3
    "flow_plan_upgrade_s2_conversion": 100.0,  # u1 and u2 at step 1 and at step 2
    "flow_plan_upgrade_completion_rate": 50.0,  # only u1 confirms
    "touchpoint_suppressed_candidates": 3,  # 'bb-renew-2026:cap;data-double:cooldown' + '5g-upgrade:holdout'
    "touchpoint_fill_rate": 50.0,  # app.banner showed 5g-upgrade, web.login_popup nothing
    "data_overuse_alerts": 1,  # u7 at 120 %
    "quarantined_events": 2,
}

HAND_CHECKED_RANGE = {
    "revenue": 199 + 300 + 1200 + 129 + 30 + 50 + 169 + 15 + 100,
    "orders": 9,
    "repeat_orders": 9 - 5,  # buyers u1 (4 orders), u2 (2), u3, u4, u5
    "active_users": 7,  # all but u7
    "new_users": 6,  # u1, u2, u3, u5 on day 0, u4 on day 7, u8 on day 20; u6 was seen on 5 January
    "referred_new_users": 1,  # u4 came through sh2
    "reactivated_users": 2,  # u6 on day 1, u5 on day 16
    "bounce_sessions": 4,  # s1c, s1g, s4a, s8a
    "flow_runs_started": 25,
    "flow_runs_completed": 12,  # not u1's handset run (2 h) nor the twelve runs that stop early
    "flow_median_seconds_to_complete": 120,  # 60 x4, 120 x4, 180 x2, 1140, 2400: element 6 of 12
    "flow_p90_seconds_to_complete": 1140,  # element floor(0.9 * 12) = 10
    "touchpoint_ctr": 60.0,  # 3 clicks / 5 exposures
    "touchpoint_conversion_rate": 200 / 3,  # u1 and u2 order within a day of their click, u3 after 5 days
    "touchpoint_7_day_conversion_rate": 100.0,
    "tag_first_sets": 6,  # 7 sets, u2's second browser:plan is a refresh
    "tag_converting_sets": 5,  # all but u5's silent_churn_risk and u4's winback (u4 ordered before)
    "late_events": 3,
    "stream_rejects": 3,
    "delayed_events": 5,  # u3's day-6 events, 10 minutes late
    "events_without_session": 1,  # u2's page view on day 10
    "events_without_user_agent": 1,  # u3's click on day 5 (back-end events are not client events)
    "broadband_expiring_within_30_days": 1,  # u2's contract ends 2026-02-20, 22 days after the notice
    "duplicate_events": 1,  # u1's page view: two lines in the log, one event kept
    "undetected_duplicates": 1,  # u7's top-up, resent after the dedup horizon
    "logged_events": len(world.EVENTS) - 1 + 2,  # all but u6's January event, and the two resent copies
    "client_clock_skewed_events": 2,  # u2's clock 50 min fast, then 10 min slow
}


@pytest.mark.parametrize("name", sorted(HAND_CHECKED_DAY_0))
def test_hand_checked_day_0(world_wh: Warehouse, name: str) -> None:
    assert day_0(world_wh, name) == pytest.approx(HAND_CHECKED_DAY_0[name])
    assert oracle.expected(name, "day", None, world.FIRST, world.FIRST)[ALL][world.FIRST] == pytest.approx(
        HAND_CHECKED_DAY_0[name]
    )


@pytest.mark.parametrize("name", sorted(HAND_CHECKED_RANGE))
def test_hand_checked_over_the_range(world_wh: Warehouse, name: str) -> None:
    total = metric_total(name, world.FIRST, world.LAST, target=world_wh)
    assert total == {ALL: pytest.approx(HAND_CHECKED_RANGE[name])}
    assert oracle.expected(name, "range", None, world.FIRST, world.LAST)[ALL][world.FIRST] == pytest.approx(
        HAND_CHECKED_RANGE[name]
    )


def _mismatches(wh: Warehouse, name: str, grain: str, dimension: str | None, first: dt.date, last: dt.date) -> list:
    if grain == "range":
        got = {key: {first: v} for key, v in metric_total(name, first, last, dimension, target=wh).items()}
    else:
        series = metric_series(name, grain, dimension, first, last, target=wh)
        got = {line.key: {p.period: p.value for p in line.points} for line in series.lines}
    want = oracle.expected(name, grain, dimension, first, last)
    problems = []
    if got.keys() != want.keys():
        return [(name, grain, dimension, "lines", sorted(got), sorted(want))]
    for key, periods in want.items():
        for period, expected in periods.items():
            actual = got[key].get(period)
            same = actual is None if expected is None else actual == pytest.approx(expected, rel=1e-9, abs=1e-9)
            if not same:
                problems.append((name, grain, dimension, key, period, actual, expected))
    return problems


@pytest.mark.parametrize("family", FAMILIES)
def test_every_metric_by_every_grain_and_dimension(world_wh: Warehouse, family: str) -> None:
    problems = []
    for metric in CATALOGUE.by_family(family):
        for grain in ("day", "week", "month", "range"):
            for dimension in (None, *metric.dimensions):
                problems += _mismatches(world_wh, metric.name, grain, dimension, world.FIRST, world.LAST)
    assert not problems, "\n".join(map(str, problems[:40]))


def test_every_metric_on_a_range_inside_the_data(world_wh: Warehouse) -> None:
    """Sources read around the range (sessions, retention windows, orders after a click): a
    range in the middle of the world must still give each day its own value."""
    problems = []
    for metric in CATALOGUE.metrics.values():
        problems += _mismatches(world_wh, metric.name, "day", None, world.day_of(3), world.day_of(9))
    assert not problems, "\n".join(map(str, problems[:40]))


def test_the_oracle_covers_the_whole_catalogue() -> None:
    assert set(oracle.SPECS) == set(CATALOGUE.metrics)


def test_most_metrics_are_not_zero_in_the_world() -> None:
    """A check against an empty world proves nothing: nearly every metric has a value here."""
    silent = [
        name
        for name in CATALOGUE.metrics
        if not any(
            v for line in oracle.expected(name, "month", None, world.FIRST, world.LAST).values() for v in line.values()
        )
    ]
    assert silent == [], silent
