"""Campaign definitions: the shipped files load; bad ones are refused with a reason code."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.touchpoints.builders import campaign_dict
from touchpoints.definitions import (
    DefinitionContext,
    DefinitionError,
    load_file_campaigns,
    load_knowledge_base,
)
from touchpoints.model import StoredSlot

SCENARIOS = ("data_threshold", "topup", "arrears", "low_balance", "broadband_expiry", "unsubscribe")


def test_shipped_campaigns_cover_every_scenario_an_announcement_and_defaults(context: DefinitionContext) -> None:
    campaigns = [f.campaign for f in load_file_campaigns(context)]
    ids = [c.id for c in campaigns]
    for scenario in SCENARIOS:
        assert any(i.startswith(scenario) for i in ids), scenario
    assert any(c.tier == "announcement" for c in campaigns)
    assert any(c.tier == "default" and c.recommend for c in campaigns)
    scenario_campaigns = [c for c in campaigns if c.id.startswith(SCENARIOS)]
    assert all(c.holdout is None and c.schedule.quiet_hours is None for c in scenario_campaigns)


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"slots": ["app.nowhere"]}, "unknown_slot"),
        ({"slots": ["app.login_popup"], "content": {}}, "missing_content"),
        (
            {
                "slots": ["app.login_popup"],
                "content": {"login_popup": {"id": "x", "title": "t"}, "banner": {"id": "y", "title": "t"}},
            },
            "unused_content",
        ),
        ({"trigger": {"event": "page_view", "within_minutes": 5}}, "invalid_trigger"),
        ({"audience": "orderer:spaceships"}, "invalid_audience"),
        ({"audience": "used_pct >="}, "invalid_audience"),
        ({"id": "Bad Id"}, "invalid_campaign"),
        ({"id": "a,b"}, "invalid_campaign"),
        ({"tier": "vip"}, "invalid_campaign"),
        ({"priority": -1}, "invalid_campaign"),
        ({"caps": {"per_day": 0}}, "invalid_campaign"),
        ({"caps": {"marketing_cap_exempt": True}}, "invalid_campaign"),  # marketing precision campaign
        ({"holdout": {"share": 1.5}}, "invalid_campaign"),
        ({"schedule": {"start": "2026-01-02T00:00:00+00:00", "end": "2026-01-01T00:00:00+00:00"}}, "invalid_campaign"),
        ({"schedule": {"start": "2026-01-02T00:00:00"}}, "invalid_campaign"),  # no zone
        ({"schedule": {"quiet_hours": {"start": "22:00", "end": "22:00"}}}, "invalid_campaign"),
        ({"recommend": {"max_items": 2}}, "invalid_campaign"),  # only the default tier
        ({"unknown_field": 1}, "invalid_campaign"),
        ({"slots": ["app.login_popup", "app.login_popup"]}, "invalid_campaign"),
        (
            {
                "slots": ["app.login_popup"],
                "content": {"login_popup": {"id": "x", "title": "t", "link": "javascript:alert(1)"}},
            },
            "invalid_campaign",
        ),
        (
            {
                "slots": ["app.login_popup"],
                "content": {"login_popup": {"id": "x", "title": "t", "link": "http://evil"}},
            },
            "invalid_campaign",
        ),
    ],
)
def test_invalid_campaigns_are_refused(context: DefinitionContext, changes: dict, reason: str) -> None:
    with pytest.raises(DefinitionError) as caught:
        context.parse_campaign(campaign_dict("c1", **changes))
    assert caught.value.reason == reason, str(caught.value)


@pytest.mark.parametrize("raw", [None, [], "text", 42, {"id": None}])
def test_non_objects_are_refused(context: DefinitionContext, raw: object) -> None:
    with pytest.raises(DefinitionError):
        context.parse_campaign(raw)


def test_exempt_is_allowed_for_service_and_announcements(context: DefinitionContext) -> None:
    context.parse_campaign(campaign_dict("s", category="service", caps={"marketing_cap_exempt": True}))
    context.parse_campaign(campaign_dict("a", tier="announcement", caps={"marketing_cap_exempt": True}))


def test_a_broken_definition_file_names_itself(context: DefinitionContext, tmp_path: Path) -> None:
    (tmp_path / "knowledge_base.yaml").write_text(
        (Path(__file__).parents[2] / "touchpoints/definitions/knowledge_base.yaml").read_text()
    )
    (tmp_path / "mine.yaml").write_text("campaigns:\n  - {id: x, name: x, tier: precision, slots: [app.nowhere]}\n")
    with pytest.raises(DefinitionError, match=r"mine\.yaml campaign #0"):
        load_file_campaigns(context, tmp_path)
    (tmp_path / "mine.yaml").write_text("campaigns: [\n")
    with pytest.raises(DefinitionError, match=r"mine\.yaml"):
        load_file_campaigns(context, tmp_path)
    assert load_knowledge_base(tmp_path).default_action == "home"


def test_slot_settings_and_new_slots(context: DefinitionContext) -> None:
    assert context.parse_slot_settings({"capacity": 2}).capacity == 2
    with pytest.raises(DefinitionError) as caught:
        context.parse_slot_settings({"capacity": 0})
    assert caught.value.reason == "invalid_slot"
    slot_id, definition, status = context.parse_new_slot({"id": "wechat.topup", "kind": "reminder", "capacity": 1})
    assert (slot_id, definition.channel, definition.kind, definition.key, status) == (
        "wechat.topup",
        "wechat",
        "reminder",
        False,
        "active",
    )
    with pytest.raises(DefinitionError) as caught:
        context.parse_new_slot({"id": "moon.topup", "kind": "reminder", "capacity": 1})
    assert caught.value.reason == "unknown_channel"


def test_campaigns_may_name_created_slots_when_told_of_them(context: DefinitionContext) -> None:
    content = {"reminder": {"id": "r", "title": "R"}}
    raw = campaign_dict("c", slots=["wechat.topup"], content=content)
    with pytest.raises(DefinitionError) as caught:
        context.parse_campaign(raw)
    assert caught.value.reason == "unknown_slot"
    _, definition, _ = context.parse_new_slot({"id": "wechat.topup", "kind": "reminder", "capacity": 1})
    known = context.slots_with({"wechat.topup": StoredSlot(definition=definition)})
    assert context.parse_campaign(raw, known).slots == ["wechat.topup"]
    assert known["app.banner"] == context.contract.slots["app.banner"]
