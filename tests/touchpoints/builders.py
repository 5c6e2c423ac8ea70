"""Small builders for campaign definitions, profiles and requests in the touchpoint tests."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from typing import Any

import orjson

from core.contract import default_catalogue
from tagging.profiles.contacts import Counters
from touchpoints.catalog import CampaignSet, Compiler
from touchpoints.decide import DecisionInput, Plan, plan
from touchpoints.definitions import DefinitionContext
from touchpoints.facts import Facts, build_facts

NOW = int(dt.datetime(2026, 3, 10, 12, 0, tzinfo=dt.UTC).timestamp() * 1000)
CONTENT = {
    "login_popup": {"id": "p", "title": "Popup"},
    "precision_floor": {"id": "f", "title": "Floor"},
    "banner": {"id": "b", "title": "Banner"},
    "reminder": {"id": "r", "title": "Reminder"},
    "floating_icon": {"id": "i", "title": "Icon"},
    "associated_recommendation": {"id": "a", "title": "Assoc"},
}


def campaign_dict(cid: str, **fields: Any) -> dict[str, Any]:
    """A valid precision campaign for app popup + floor unless ``fields`` say otherwise."""
    raw: dict[str, Any] = {"id": cid, "name": cid, "tier": "precision", "slots": ["app.login_popup", "app.home_floor"]}
    raw.update(fields)
    if "content" not in raw and raw.get("recommend") is None:
        slots = default_catalogue().slots
        kinds = {slots[s].kind for s in raw["slots"] if s in slots}
        raw["content"] = {kind: {**CONTENT[kind], "id": f"{cid}-{kind}"} for kind in kinds}
    return raw


def campaign_set(context: DefinitionContext, *raws: dict[str, Any], version: int = 1) -> CampaignSet:
    campaigns = [(r["id"], 1, context.parse_campaign(r)) for r in raws]
    return Compiler(context).build(version, campaigns, {})


def facts(tags: tuple[str, ...] = (), now: int = NOW, **state: Any) -> Facts:
    raw_tags = {t: f"{now - 1000}:" for t in tags}
    raw_state = {k: orjson.dumps(v) for k, v in state.items()}
    return build_facts(raw_tags, raw_state, now, dt.datetime.fromtimestamp(now / 1000, dt.UTC).date())


def decide(
    context: DefinitionContext,
    campaigns: CampaignSet,
    slot_ids: list[str],
    user_facts: Facts | None = None,
    counters: Counters | None = None,
    *,
    user_id: str = "u1",
    now: int = NOW,
    local_time: dt.time = dt.time(12, 0),
    context_action: str | None = None,
    marketing_cap: int = 15,
    excluded: dict[str, str] | None = None,
) -> Plan:
    request = DecisionInput(user_id, [campaigns.slots[s] for s in slot_ids], now, local_time, context_action)
    return plan(
        request,
        campaigns,
        context.knowledge_base,
        user_facts or facts(),
        Counters() if counters is None else counters,
        marketing_cap,
        excluded,
    )


def run_concurrently(work: Callable[[], None], threads: int, timeout: float = 60) -> None:
    """Start ``threads`` threads of ``work`` at once (a barrier) and wait for them all."""
    barrier = threading.Barrier(threads)

    def run() -> None:
        barrier.wait()
        work()

    started = [threading.Thread(target=run) for _ in range(threads)]
    for t in started:
        t.start()
    for t in started:
        t.join(timeout)


def shown(result: Plan) -> dict[str, list[str]]:
    """slot -> campaign ids shown (one per item)."""
    return {p.slot.id: [i.campaign.id for i in p.items] for p in result.slots}


def suppressed(result: Plan) -> dict[str, dict[str, str]]:
    return {p.slot.id: dict(p.suppressed) for p in result.slots}
