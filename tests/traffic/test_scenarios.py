"""The demo's live scenario step: which generated users it picks, and what counts as success."""

from __future__ import annotations

from pathlib import Path

from core.config import load_settings
from touchstream.traffic.generate import generate_world
from touchstream.traffic.scenarios import BUSINESS_EVENTS, OUTSIDE, SCENARIOS, ScenarioResult, page_url, pick_users

README = Path(__file__).parents[2] / "README.md"


def test_picks_are_distinct_quiet_users_and_match_the_readme() -> None:
    events = list(generate_world(2000, 3 + 1, 7))  # the world of `make run`: 3 days of history and today
    picks = pick_users(events)
    assert list(picks) == [s.name for s in SCENARIOS] + [OUTSIDE]
    assert len(set(picks.values())) == len(picks)
    for user in picks.values():
        assert not any(e["user_id"] == user and e["event"] in BUSINESS_EVENTS for e in events)
    for scenario in SCENARIOS:
        if scenario.excluded_by_order_of:
            assert not any(
                e["user_id"] == picks[scenario.name]
                and e["event"] == "order_success"
                and e["props"]["business"] == scenario.excluded_by_order_of
                for e in events
            )
    assert picks == pick_users(generate_world(2000, 3 + 1, 7, start_ms=0))  # the same whatever the date
    readme = README.read_text(encoding="utf-8")
    settings = load_settings(env={})
    for name, user in picks.items():
        assert page_url(settings, user, f"readme-{name}") in readme, name


def test_success_means_the_scenarios_campaign_for_its_user_and_none_outside() -> None:
    assert ScenarioResult("topup", "u1", ["announcement_network_upgrade", "topup_thank_you"], "").ok
    assert not ScenarioResult("topup", "u1", ["announcement_network_upgrade"], "").ok
    assert ScenarioResult(OUTSIDE, "u2", ["announcement_network_upgrade", "default_recommendations"], "").ok
    assert not ScenarioResult(OUTSIDE, "u2", ["arrears_pay_now"], "").ok
