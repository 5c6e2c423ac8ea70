"""Funnel input: parsed and checked against the catalogue before any SQL exists (unit tests)."""

from __future__ import annotations

import datetime as dt

import pytest

from analytics.funnels import FunnelInputError, build_spec, parse_step, parse_window, saved_funnels
from core.contract import default_catalogue

STEP1 = {"event": "flow_step", "where": {"flow": "plan_upgrade", "step": "1"}}
STEP2 = {"event": "flow_step", "where": {"flow": "plan_upgrade", "step": "2"}}


def reason(call, *args, **kwargs) -> str:  # type: ignore[no-untyped-def]
    with pytest.raises(FunnelInputError) as caught:
        call(*args, **kwargs)
    return caught.value.reason


def test_steps_parse_with_values_normalised_by_prop_type() -> None:
    step = parse_step("flow_step flow=plan_upgrade step=02")
    assert (step.event, step.where) == ("flow_step", {"flow": "plan_upgrade", "step": "2"})
    assert parse_step("order_success amount=19.50").where == {"amount": "19.5"}
    assert parse_step("order_success amount=20.0").where == {"amount": "20"}
    assert parse_step("touchpoint_decision degraded=true").where == {"degraded": "true"}
    assert parse_step("page_view ref_share_id='a b'").where == {"ref_share_id": "a b"}
    assert parse_step("touchpoint_click slot=app.topup_page_banner").where == {"slot": "app.topup_page_banner"}
    assert step.label == "flow_step flow=plan_upgrade step=2"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "bad_step"),
        ("nope", "unknown_event"),
        ("flow_step flow=nope", "bad_value"),
        ("flow_step step=abc", "bad_value"),
        ("flow_step step=0", "bad_value"),
        ("flow_step flow", "bad_step"),
        ("flow_step =x", "bad_step"),
        ("flow_step flow=topup flow=topup", "bad_step"),
        ("page_view ref_share_id='unclosed", "bad_step"),
        ("touchpoint_decision degraded=yes", "bad_value"),
        ("broadband_contract expires_on=2026-13-01", "bad_value"),
        ("touchpoint_click slot=moon.billboard", "bad_value"),
        ("touchpoint_exposure slot=banner", "bad_value"),
        ("flow_step; DROP TABLE events_raw", "unknown_event"),
        ("flow_step nope=1", "unknown_property"),
    ],
)
def test_bad_steps_have_a_reason(text: str, expected: str) -> None:
    assert reason(parse_step, text) == expected


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"steps": [STEP1]}, "invalid_funnel"),
        ({"steps": [STEP1] * 13}, "invalid_funnel"),
        ({"steps": [STEP1, {"event": "click", "where": {"nope": "1"}}]}, "unknown_property"),
        ({"steps": [STEP1, {"event": "click", "where": {"channel": "fax"}}]}, "bad_value"),
        ({"steps": [STEP1, {"event": "click", "where": {"element": "x" * 513}}]}, "value_too_long"),
        ({"steps": [STEP1, STEP2], "breakdown": "prop_values) FROM system.users --"}, "unknown_breakdown"),
        ({"steps": [STEP1, STEP2], "exclusions": [{"event": "arrears", "between": [1, 1]}]}, "bad_exclusion_range"),
        ({"steps": [STEP1, STEP2], "exclusions": [{"event": "arrears", "between": [0, 5]}]}, "bad_exclusion_range"),
        ({"steps": [STEP1, STEP2], "date_from": dt.date(2026, 2, 2), "date_to": dt.date(2026, 2, 1)}, "bad_date_range"),
        ({"steps": [STEP1, STEP2], "mode": "loose"}, "invalid_funnel"),
        ({"steps": [STEP1, STEP2], "window_seconds": 0}, "invalid_funnel"),
        ({"steps": [STEP1, STEP2], "extra": 1}, "invalid_funnel"),
    ],
)
def test_bad_funnels_have_a_reason(fields: dict, expected: str) -> None:
    assert reason(build_spec, **({"window_seconds": 60} | fields)) == expected


def test_breakdown_dimensions_are_columns_business_and_the_first_events_props() -> None:
    spec = build_spec(steps=[{"event": "page_view"}, STEP1], window_seconds=60, breakdown="ref_share_id")
    assert spec.breakdown == "ref_share_id"
    assert reason(build_spec, steps=[STEP1, STEP2], window_seconds=60, breakdown="ref_share_id") == "unknown_breakdown"


@pytest.mark.parametrize(("text", "seconds"), [("90s", 90), ("30m", 1800), ("2h", 7200), (" 7d ", 604_800)])
def test_windows(text: str, seconds: int) -> None:
    assert parse_window(text) == seconds


@pytest.mark.parametrize("text", ["30", "0m", "91d", "1.5h", "-1m", "m", "9" * 30 + "s"])
def test_bad_windows(text: str) -> None:
    assert reason(parse_window, text) == "bad_window"


def test_every_flow_has_a_saved_funnel_of_its_steps_then_the_order() -> None:
    funnels = saved_funnels()
    for name, flow in default_catalogue().flows.items():
        spec = funnels[name].spec()
        assert [s.name for s in spec.steps] == [*flow.steps, "order"]
        assert [s.where for s in spec.steps[:-1]] == [
            {"flow": name, "step": str(k)} for k in range(1, flow.last_step + 1)
        ]
        assert (spec.steps[-1].event, spec.steps[-1].where) == ("order_success", {"flow": name})


def test_yaml_numbers_in_filters_become_the_warehouse_text() -> None:
    spec = build_spec(steps=[{"event": "flow_step", "where": {"flow": "topup", "step": 2}}, STEP1], window_seconds=60)
    assert spec.steps[0].where == {"flow": "topup", "step": "2"}


def test_drop_off_csv_defuses_spreadsheet_formulas() -> None:
    import io

    from analytics.funnels import DropOffUser, write_drop_off_csv

    out = io.StringIO()
    users = [
        DropOffUser(user_id="=HYPERLINK(1)", breakdown="+web", reached_at_ms=5),
        DropOffUser(user_id="u1", breakdown=None, reached_at_ms=6),
    ]
    assert write_drop_off_csv(users, out) == 2
    assert out.getvalue().splitlines() == ["user_id,breakdown,reached_at_ms", "'=HYPERLINK(1),'+web,5", "u1,,6"]


def test_huge_input_gets_a_short_error() -> None:
    with pytest.raises(FunnelInputError) as caught:
        parse_step("x" * 1_000_000)
    assert caught.value.reason == "step_too_long"
    with pytest.raises(FunnelInputError) as caught:
        parse_step("x" * 2000)
    assert caught.value.reason == "unknown_event" and len(str(caught.value)) < 200
    with pytest.raises(FunnelInputError) as caught:
        parse_step("flow_step " + "k" * 1900 + "=1 flow=topup")
    assert caught.value.reason == "unknown_property" and len(str(caught.value)) < 300
