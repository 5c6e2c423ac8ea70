"""Hostile and bad inputs: refused with a clear error before any SQL, or bound and matched literally."""

from __future__ import annotations

import datetime as dt

import pytest
from pydantic import ValidationError

from analytics.touchpoint_value import (
    DateRange,
    ReportInputError,
    lift,
    load_parameters,
    touchpoint_results,
)
from analytics.touchpoint_value.parameters import VALUE_FILE, CampaignTarget
from tests.analytics.touchpoint_events import HOUR_MS, D, Events
from tests.analytics.touchpoint_world import SEPTEMBER_1_TO_7, mapped
from warehouse import Warehouse
from warehouse.sources import insert_events

HOSTILE = [
    "x' OR 1=1 --",
    "a'); DROP TABLE events_raw; --",
    "back\\slash\\'",
    "line\nbreak\r\u2028",
    "{start_ms:UInt64}",
    "$touches",
    "中文活动 🎉",
]


@pytest.mark.parametrize(
    ("grain", "dims", "message"),
    [
        ("day; DROP TABLE events_raw", ("slot",), "unknown grain"),
        ("hour", ("slot",), "unknown grain"),
        ("day", ("slot, user_id",), "unknown dimension"),
        ("day", ("prop_values",), "unknown dimension"),
        ("day", ("slot", "slot"), "repeated"),
    ],
)
def test_unknown_grains_and_dimensions_are_refused_before_sql(grain: str, dims: tuple, message: str) -> None:
    with pytest.raises(ReportInputError, match=message):
        touchpoint_results(None, SEPTEMBER_1_TO_7, grain, dims, mapped())  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "campaigns",
    [[], [""], ["x" * 513], [f"c{i}" for i in range(1001)], [None]],
    ids=["none", "empty", "too-long", "too-many", "not-text"],
)
def test_campaign_filters_are_bounded(campaigns: list) -> None:
    with pytest.raises(ReportInputError):
        touchpoint_results(None, SEPTEMBER_1_TO_7, "day", ("slot",), mapped(), campaigns)  # type: ignore[arg-type]
    with pytest.raises(ReportInputError):
        lift(None, SEPTEMBER_1_TO_7, campaigns, params=mapped())  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        ("2026-09-07", "2026-09-01", "before it starts"),
        ("2020-01-01", "2026-01-01", "at most"),
        ("2026-02-30", "2026-03-01", "date"),
        ("yesterday", "2026-03-01", "date"),
    ],
)
def test_bad_ranges_are_refused(start: str, end: str, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        DateRange(start=start, end=end)  # type: ignore[arg-type]


@pytest.mark.integration
@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_campaign_names_are_bound_and_matched_literally(wh: Warehouse, name: str) -> None:
    ev = Events()
    ev.exposed_and_clicked("u1", "app.banner", name, name, D + HOUR_MS)
    ev.order("u1", "broadband", D + 2 * HOUR_MS, product="p")
    ev.order("u1", "broadband", D + 3 * HOUR_MS, product=name)
    ev.exposed_and_clicked("u2", "app.banner", "plain", "d2", D + HOUR_MS)
    ev.decision("u3", "app.banner", D, shown=name.replace(",", ""))
    insert_events(wh, ev.records)
    params = mapped().with_campaigns({name: CampaignTarget(business="broadband", product=name)})
    report = touchpoint_results(wh, SEPTEMBER_1_TO_7, "total", ("campaign", "business"), params, [name])
    (row,) = report.rows
    assert row.dims == {"campaign": name, "business": "broadband"}
    assert (row.exposures, row.clicks, row.conversions) == (1, 1, 1)  # the order of product `name`, not "p"
    (treated,) = lift(wh, SEPTEMBER_1_TO_7, name.replace(",", ""), params=params)
    assert treated.treated_users == 1
    assert wh.query("SELECT count() FROM events").scalar() == len(ev.records)


@pytest.mark.integration
def test_hostile_slots_and_decision_ids_are_reported_as_sent(wh: Warehouse) -> None:
    ev = Events()
    for i, text in enumerate(HOSTILE):
        ev.exposure(f"u{i}", "app.banner", "bb", text, D + HOUR_MS)
    # a slot outside the catalogue cannot pass the collector, but the warehouse is not trusted either
    ev.exposure("u9", "x' OR '1", "bb", "z", D + HOUR_MS)
    insert_events(wh, ev.records)
    report = touchpoint_results(wh, SEPTEMBER_1_TO_7, "total", ("slot", "slot_kind"), mapped())
    assert {tuple(r.dims.values()): r.exposures for r in report.rows} == {
        ("app.banner", "banner"): len(HOSTILE),  # one per distinct decision id
        ("x' OR '1", ""): 1,
    }


def test_a_value_file_with_a_typo_fails_at_load(tmp_path) -> None:  # type: ignore[no-untyped-def]
    text = VALUE_FILE.read_text(encoding="utf-8")
    for broken, message in [
        (text.replace("commission_yuan: 3.0", "comission_yuan: 3.0"), "comission_yuan"),
        (text.replace("{flow: topup}", "{flow: top_up}"), "unknown flow 'top_up'"),
        (text.replace("{flow: bill_payment, step: 1}", "{flow: bill_payment, step: 3}"), "has 2 steps"),
        (text.replace("per_channel_yuan: {web: 0", "per_channel_yuan: {sms: 1, web: 0"), "unknown channel"),
        (text.replace("{business: broadband}", "{business: fibre}"), "unknown business 'fibre'"),
        (text.replace("click_window_days: 7", "click_window_days: 365"), "less than or equal to 90"),
        (text.replace("confidence: 0.95", "confidence: 1.5"), "less than 1"),
        (text.replace("unit_value_yuan: 1.08", "unit_value_yuan: -1"), "greater than or equal to 0"),
    ]:
        assert broken != text
        path = tmp_path / "value.yaml"
        path.write_text(broken, encoding="utf-8")
        with pytest.raises(ValidationError, match=message):
            load_parameters(path)


def test_the_shipped_file_holds_seed_004_figures() -> None:
    params = load_parameters()
    assert params.publicity.unit_audience_value_yuan == 0.05
    assert params.marketing.commission_yuan == 3.0
    assert params.service.unit_value_yuan == 1.08
    assert params.service.keys() == ["bill_payment:1", "bill_payment:2", "topup:3"]


def test_range_bounds_are_whole_utc_days() -> None:
    week = DateRange(start=dt.date(2026, 9, 1), end=dt.date(2026, 9, 7))
    assert week.start_ms == D
    assert week.end_ms == D + 7 * 24 * HOUR_MS
    assert len(list(week.days())) == 7
