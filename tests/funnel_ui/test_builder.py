"""The Funnels page's builder (funnel_ui/builder.py): the same parser and reasons as the CLI."""

from __future__ import annotations

import datetime as dt

import pytest

from analytics.funnels import FunnelInputError, saved_funnels
from core.clock import DAY_MS
from funnel_ui.builder import build_funnel, exclusions_text, expiry_ms, rows_of

ROWS = [
    {"name": "chose", "event": "flow_step", "filters": "flow=plan_upgrade step=1"},
    {"name": "", "event": "flow_step", "filters": "flow=plan_upgrade step=02"},
    {"name": None, "event": None, "filters": None},  # the editor's empty last row
    {"name": "paid", "event": "order_success", "filters": "flow=plan_upgrade"},
]


def test_rows_build_the_funnel_the_cli_would() -> None:
    spec = build_funnel(ROWS, "30m", "strict", "channel", "", dt.date(2026, 1, 1), dt.date(2026, 1, 31))
    assert [s.label for s in spec.steps] == ["chose", "flow_step flow=plan_upgrade step=2", "paid"]
    assert (spec.window_seconds, spec.mode, spec.breakdown) == (1800, "strict", "channel")
    assert (spec.date_from, spec.date_to) == (dt.date(2026, 1, 1), dt.date(2026, 1, 31))


@pytest.mark.parametrize("name", list(saved_funnels()))
def test_a_saved_funnel_round_trips_through_the_builder(name: str) -> None:
    saved = saved_funnels()[name]
    spec = build_funnel(rows_of(saved), saved.window, saved.mode, saved.breakdown, exclusions_text(saved))
    assert spec == saved.spec()


@pytest.mark.parametrize(
    ("rows", "window", "breakdown", "exclusions", "reason"),
    [
        ([{"event": "flow_step", "filters": "flow=plan_upgrade"}], "30m", None, "", "invalid_funnel"),  # one step
        ([{"event": "no_such_event"}, *ROWS], "30m", None, "", "unknown_event"),
        ([{"event": "", "filters": "flow=x"}, *ROWS], "30m", None, "", "bad_step"),
        ([{"event": "flow_step", "filters": 'flow="plan_upgrade\' OR 1=1 --"'}, *ROWS], "30m", None, "", "bad_value"),
        ([{"event": "flow_step", "filters": "nope=1"}, *ROWS], "30m", None, "", "unknown_property"),
        ([{"event": "flow_step", "filters": "flow='unterminated"}, *ROWS], "30m", None, "", "bad_step"),
        ([{"event": "flow_step x=1", "filters": ""}, *ROWS], "30m", None, "", "unknown_event"),  # event quoted whole
        ([{"event": "flow_step", "name": "n" * 81}, *ROWS], "30m", None, "", "bad_step"),
        (ROWS * 5, "30m", None, "", "too_many_steps"),
        ([{"event": "nope"}] * 100_000, "30m", None, "", "too_many_steps"),  # refused before parsing
        (ROWS, "30 minutes", None, "", "bad_window"),
        (ROWS, "0s", None, "", "bad_window"),
        (ROWS, "30m", "channel) OR (1", "", "unknown_breakdown"),
        (ROWS, "30m", None, "page_view nope=1", "unknown_property"),
        (ROWS, "30m", None, "x" * 5000, "step_too_long"),
    ],
)
def test_bad_input_is_refused_with_the_engines_reason(
    rows: list[dict], window: str, breakdown: str | None, exclusions: str, reason: str
) -> None:
    with pytest.raises(FunnelInputError) as caught:
        build_funnel(rows, window, "sequential", breakdown, exclusions)
    assert caught.value.reason == reason


def test_an_audience_holds_through_the_chosen_utc_day() -> None:
    assert expiry_ms(dt.date(1970, 1, 1)) == DAY_MS
    assert expiry_ms(dt.date(2026, 12, 31)) == int(dt.datetime(2027, 1, 1, tzinfo=dt.UTC).timestamp() * 1000)
