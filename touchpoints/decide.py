"""The decision rules, pure: which campaigns fill which requested slots, and why others do not.

No I/O here. The caller reads the profile and the contact counters (one Redis round trip),
calls :func:`plan`, and then counts the planned contacts atomically
(``tagging.profiles.contacts.ContactScripts.reserve``). The counters read here are a
snapshot: if a concurrent request used a cap up in between, the reservation fails for that
campaign and the caller plans again with it excluded (``excluded``), so the atomic check in
Redis is the authority and this module only spares futile round trips.

Per slot, in request order (the first slot of the page the user meets wins a campaign
offered in several), candidates are tried by tier (announcement, precision, default), then
priority (higher first), then id. A candidate is suppressed, with a reason, when it is out
of schedule, outside its audience, not triggered, in quiet hours, already placed in another
slot of this answer, over a cap, in cooldown, or when the slot is full. The default tier
(associated recommendations) fills only a slot nothing else filled. A user in a campaign's
holdout takes the campaign's place and sees nothing of it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

from core.clock import MINUTE_MS
from tagging.profiles.contacts import Counters
from touchpoints.catalog import CampaignSet, CompiledCampaign, ServedSlot
from touchpoints.facts import Facts
from touchpoints.model import Campaign, Content, KnowledgeBase


@dataclass(frozen=True)
class DecisionInput:
    user_id: str
    slots: list[ServedSlot]  # as requested, in page order
    now_ms: int  # the server's clock
    local_time: dt.time  # the user's wall clock time, for quiet hours
    context: str | None = None  # the action the user just took (knowledge base)


@dataclass(frozen=True)
class PlannedItem:
    campaign: CompiledCampaign
    content: Content
    reason: str


@dataclass
class SlotPlan:
    slot: ServedSlot
    items: list[PlannedItem] = field(default_factory=list)
    suppressed: list[tuple[str, str]] = field(default_factory=list)  # (campaign, reason)
    holdout: list[str] = field(default_factory=list)
    reason: str = "empty"


@dataclass
class Plan:
    slots: list[SlotPlan]
    reservations: list[tuple[CompiledCampaign, int]]  # (campaign, index of its slot) to count now


def cap_reason(
    campaign: Campaign, slot_id: str, counters: Counters, marketing_used: int, marketing_cap: int, now_ms: int
) -> str | None:
    """The first cap the contact would break (same checks, same order as the Lua in contacts.py)."""
    caps, cid = campaign.caps, campaign.id
    if caps.per_day and counters.day.get(cid, 0) >= caps.per_day:
        return "cap_day"
    if caps.per_week and counters.week.get(cid, 0) >= caps.per_week:
        return "cap_week"
    if caps.lifetime and counters.life.get(cid, 0) >= caps.lifetime:
        return "cap_lifetime"
    if campaign.marketing and marketing_used >= marketing_cap:
        return "cap_month"
    if caps.cooldown_minutes:
        last = counters.last.get(cid)
        if last is not None and last[1] != slot_id and now_ms - last[0] < caps.cooldown_minutes * MINUTE_MS:
            return "cooldown"
    return None


_UNKNOWN = "?"  # eligibility not evaluated yet


def plan(
    request: DecisionInput,
    campaigns: CampaignSet,
    knowledge_base: KnowledgeBase,
    facts: Facts,
    counters: Counters | None,
    marketing_cap: int,
    excluded: Mapping[str, str] | None = None,
) -> Plan:
    """Decide every requested slot. ``counters`` None means no caps can be checked (degraded)."""
    excluded = excluded or {}
    eligibility: dict[str, str | None] = {}
    placed: set[str] = set()
    marketing_used = counters.marketing_month if counters is not None else 0
    slots: list[SlotPlan] = []
    reservations: list[tuple[CompiledCampaign, int]] = []
    now, local_time, user_id = request.now_ms, request.local_time, request.user_id
    for index, slot in enumerate(request.slots):
        decision = SlotPlan(slot)
        slots.append(decision)
        if slot.status != "active":
            decision.reason = f"slot_{slot.status}"
            continue
        used, capacity, items, holdout, suppressed = (
            0,
            slot.capacity,
            decision.items,
            decision.holdout,
            decision.suppressed,
        )
        for candidate in campaigns.candidates(slot.id):
            cid = candidate.id
            why = eligibility.get(cid, _UNKNOWN)
            if why is _UNKNOWN:
                why = eligibility[cid] = excluded.get(cid) or candidate.ineligible(facts, now, local_time)
            if why is None:
                if cid in placed:
                    why = "duplicate"
                elif candidate.tier == "default" and (items or holdout):
                    why = "outranked"
                elif used >= capacity:
                    why = "capacity"
                elif counters is not None and candidate.counted:
                    why = cap_reason(candidate.campaign, slot.id, counters, marketing_used, marketing_cap, now)
            if why is None and candidate.holdout is not None and candidate.held_out(user_id):
                holdout.append(cid)
                why = "holdout"
                placed.add(cid)
                used += 1
            if why is not None:
                suppressed.append((cid, why))
                continue
            contents = _contents(candidate, slot, capacity - used, knowledge_base, request.context)
            reason = (
                f"recommendation:{knowledge_base.action_for(request.context, slot.name)}"
                if candidate.campaign.recommend
                else candidate.item_reason
            )
            items.extend(PlannedItem(candidate, content, reason) for content in contents)
            used += len(contents)
            placed.add(cid)
            if counters is not None and candidate.counted:
                reservations.append((candidate, index))
                marketing_used += candidate.marketing
        decision.reason = "shown" if items else "holdout" if holdout else "empty"
    return Plan(slots, reservations)


def _contents(
    candidate: CompiledCampaign, slot: ServedSlot, room: int, knowledge_base: KnowledgeBase, context: str | None
) -> list[Content]:
    campaign = candidate.campaign
    if campaign.recommend is not None:
        action = knowledge_base.action_for(context, slot.name)
        return knowledge_base.recommendations(action, min(room, campaign.recommend.max_items))
    return [campaign.content[slot.kind]]  # type: ignore[index]
