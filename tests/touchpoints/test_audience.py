"""Audience expressions: grammar, types, identifiers, semantics of missing fields; never eval."""

from __future__ import annotations

import pytest

from tests.touchpoints.builders import NOW, facts
from touchpoints.audience import MAX_DEPTH, AudienceError, compile_audience
from touchpoints.definitions import DefinitionContext


def check(context: DefinitionContext, expression: str, **kwargs: object) -> bool:
    return compile_audience(expression, context.identifiers)(facts(**kwargs))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("expression", "profile", "expected"),
    [
        ("true", {}, True),
        ("false", {}, False),
        ("orderer:broadband", {"tags": ("orderer:broadband",)}, True),
        ("not orderer:broadband", {"tags": ("orderer:broadband",)}, False),
        ("used_pct >= 80", {"used_pct": 80}, True),
        ("used_pct >= 80", {"used_pct": 79.5}, False),
        ("used_pct >= 80", {}, False),  # missing field: every comparison is false
        ("not (used_pct >= 80)", {}, True),
        ("arrears", {"arrears": True}, True),
        ("arrears == false", {"arrears": False}, True),
        ("arrears or balance < 5", {"balance": 3.2}, True),
        ("balance < 5 and not arrears", {"balance": 3.2, "arrears": True}, False),
        ('"video-vip" in unsubscribed', {"unsubscribed": ["music-vip", "video-vip"]}, True),
        ('"video-vip" in unsubscribed', {}, False),
        ("unsubscribed", {"unsubscribed": []}, False),
        ("unsubscribed", {"unsubscribed": ["x"]}, True),
        ("audience:bb_dropoff and silent_churn_risk", {"tags": ("audience:bb_dropoff", "silent_churn_risk")}, True),
        ("browser:plan or sharer:plan", {"tags": ("sharer:plan",)}, True),
        ("a:b" if False else "orderer:plan", {}, False),
        ("broadband_days_left <= 30 and not orderer:broadband", {"broadband_expires_on": "2026-03-30"}, True),
        ("broadband_days_left <= 30", {"broadband_expires_on": "2026-06-30"}, False),
        ("minutes_since_topup <= 30", {"last_at": {"topup": NOW - 29 * 60_000}}, True),
        ("minutes_since_topup <= 30", {"last_at": {"topup": NOW - 31 * 60_000}}, False),
        ("days_since_active >= 7", {"last_active_day": "2026-03-01"}, True),
        ("used_pct>=80 and(balance<1 or arrears)", {"used_pct": 99, "arrears": True}, True),
        ("used_pct >= -1e2", {"used_pct": 0}, True),
    ],
)
def test_semantics(context: DefinitionContext, expression: str, profile: dict, expected: bool) -> None:
    assert check(context, expression, **profile) is expected


def test_expired_tags_do_not_count(context: DefinitionContext) -> None:
    predicate = compile_audience("orderer:plan", context.identifiers)
    import datetime as dt

    from touchpoints.facts import build_facts

    today = dt.date(2026, 3, 10)
    assert predicate(build_facts({"orderer:plan": f"1:{NOW + 1}"}, {}, NOW, today))
    assert not predicate(build_facts({"orderer:plan": f"1:{NOW}"}, {}, NOW, today))


@pytest.mark.parametrize(
    ("expression", "fragment"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("used_pct >=", "syntax error"),
        ("used_pct >= 80 and", "syntax error"),
        ("(used_pct >= 80", "syntax error"),
        ("no_such_field > 1", "unknown identifier"),
        ("orderer:spaceships", "unknown identifier"),
        ("audience:", "syntax error"),
        ("used_pct", "needs conditions"),
        ("used_pct and arrears", "needs conditions"),
        ("used_pct >= true", "cannot compare"),
        ('used_pct == "80"', "cannot compare"),
        ("arrears < true", "compares numbers"),
        ("unsubscribed == unsubscribed", "cannot compare"),
        ("1 in unsubscribed", "`in` needs"),
        ("used_pct >= 1e999", "out of range"),
        ("__import__('os').system('id')", "syntax error"),
        ("used_pct >= 80; drop", "syntax error"),
        ("x" * 1001, "longer than"),
        ("(arrears or (" * 40 + "true" + "))" * 40, f"deeper than {MAX_DEPTH}"),
        ("not " * 40 + "true", f"deeper than {MAX_DEPTH}"),
    ],
)
def test_invalid_expressions_are_refused_with_a_reason(
    context: DefinitionContext, expression: str, fragment: str
) -> None:
    with pytest.raises(AudienceError, match=None) as caught:
        compile_audience(expression, context.identifiers)
    assert fragment in str(caught.value)


def test_redundant_parentheses_do_not_nest(context: DefinitionContext) -> None:
    assert compile_audience("(" * 400 + "arrears" + ")" * 400, context.identifiers)(facts(arrears=True))


def test_a_long_flat_expression_within_limits_compiles(context: DefinitionContext) -> None:
    expression = " or ".join(["arrears"] * 90)
    assert len(expression) < 1000
    assert compile_audience(expression, context.identifiers)(facts(arrears=True))
