"""The synthetic world: deterministic, valid against the contract, and realistic where it matters."""

from __future__ import annotations

from collections import Counter, defaultdict
from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError

from core.clock import DAY_MS
from core.contract import EventValidator, default_catalogue
from touchstream.traffic.generate import generate_world, write_world
from touchstream.traffic.world import WORLD_FILE, load_world

START = 1_790_000_000_000 - 1_790_000_000_000 % DAY_MS


@pytest.fixture(scope="module")
def world_events() -> list[dict]:
    return list(generate_world(users=3000, days=4, seed=11, start_ms=START))


def test_same_arguments_same_bytes(tmp_path: Path) -> None:
    a = write_world(tmp_path / "a.jsonl", users=200, days=2, seed=5, start_ms=START)
    write_world(tmp_path / "b.jsonl", users=200, days=2, seed=5, start_ms=START)
    write_world(tmp_path / "c.jsonl", users=200, days=2, seed=6, start_ms=START)
    assert a.events > 1000
    assert (tmp_path / "a.jsonl").read_bytes() == (tmp_path / "b.jsonl").read_bytes()
    assert (tmp_path / "a.jsonl").read_bytes() != (tmp_path / "c.jsonl").read_bytes()


def test_every_event_is_valid_sorted_and_unique(world_events: list[dict]) -> None:
    validator = EventValidator(default_catalogue())
    end = START + 4 * DAY_MS
    for event in world_events:
        validator.validate(event, end)
        assert START <= event["ts"] < end
    assert [e["ts"] for e in world_events] == sorted(e["ts"] for e in world_events)
    assert len({e["event_id"] for e in world_events}) == len(world_events)


def test_every_kind_of_event_and_channel_occurs(world_events: list[dict]) -> None:
    kinds = Counter(e["event"] for e in world_events)
    # every event a person or the back end sends; the touchpoint service writes its own decisions
    sent = {name for name, spec in default_catalogue().events.items() if spec.source != "service"}
    assert set(kinds) == sent
    assert set(Counter(e["channel"] for e in world_events)) == {"web", "app", "wechat"}


def _reach(events: list[dict], flow: str) -> dict[str, list[int]]:
    """Per channel, how many flow runs reached each step."""
    best: dict[tuple[str, str, str], int] = {}
    for e in events:
        if e["event"] == "flow_step" and e["props"]["flow"] == flow:
            key = (e["channel"], e["user_id"], e["session_id"])
            best[key] = max(best.get(key, 0), e["props"]["step"])
    reach: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for (channel, _, _), step in best.items():
        for s in range(step):
            reach[channel][s] += 1
    return reach


def test_plan_upgrade_loses_most_users_at_the_upgrade_tier_and_more_on_web(world_events: list[dict]) -> None:
    reach = _reach(world_events, "plan_upgrade")
    behaviour = load_world().flows.behaviour["plan_upgrade"]
    for channel in ("web", "app"):
        r = reach[channel]
        assert r[0] > 100
        factor = behaviour.channel_factor[channel]
        for k in range(2):
            expected = min(0.98, behaviour.continue_[k] * factor)
            assert r[k + 1] / r[k] == pytest.approx(expected, abs=0.08)
    web, app = reach["web"], reach["app"]
    assert web[2] / web[1] < app[2] / app[1]  # choose_upgrade_tier -> confirm is the big drop, worse on web


def test_shares_bring_visits_by_other_users(world_events: list[dict]) -> None:
    sharers = {e["props"]["share_id"]: e["user_id"] for e in world_events if e["event"] == "share"}
    visits = [e for e in world_events if e["event"] == "page_view" and "ref_share_id" in e["props"]]
    assert sharers and visits
    for visit in visits:
        assert visit["props"]["ref_share_id"] in sharers
        assert visit["user_id"] != sharers[visit["props"]["ref_share_id"]]


def test_completed_flows_mostly_end_in_an_order(world_events: list[dict]) -> None:
    orders = [e for e in world_events if e["event"] == "order_success"]
    last_steps = [
        e
        for e in world_events
        if e["event"] == "flow_step" and e["props"]["step"] == default_catalogue().flows[e["props"]["flow"]].last_step
    ]
    assert 0.85 < len(orders) / len(last_steps) <= 1.0


def test_a_bad_world_file_fails_with_a_clear_error(tmp_path: Path) -> None:
    data = yaml.safe_load(WORLD_FILE.read_text())
    data["flows"]["behaviour"]["plan_upgrade"]["continue"] = [0.5]
    path = tmp_path / "world.yaml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(ValidationError, match=r"plan_upgrade\.continue: needs 2 transitions"):
        load_world(path)
    data = yaml.safe_load(WORLD_FILE.read_text())
    data["business_interest"]["spaceships"] = 1
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(ValidationError, match="unknown business 'spaceships'"):
        load_world(path)
