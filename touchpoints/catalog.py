"""The live campaign set of one worker: compiled once per campaign revision, indexed by slot.

A worker keeps one :class:`CampaignSet` and swaps it whole when the store's version
counter moves (touchpoints/store.py); campaigns whose revision did not change keep their
compiled audience, so an edit of one campaign recompiles one campaign.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from core.clock import MINUTE_MS
from core.contract.definitions import Slot
from touchpoints.audience import Predicate
from touchpoints.definitions import DefinitionContext, DefinitionError
from touchpoints.facts import Facts
from touchpoints.holdout import in_holdout
from touchpoints.model import TIER_RANK, Campaign, QuietHours, StoredSlot

logger = logging.getLogger(__name__)


def _ms(moment: dt.datetime | None) -> int | None:
    return None if moment is None else int(moment.timestamp() * 1000)


@dataclass(frozen=True, slots=True)
class CompiledCampaign:
    """A campaign ready to evaluate: everything a decision asks of it is precomputed here
    (the planner runs this for every candidate of every request). ``rank`` orders
    candidates: tier, then priority (higher first), then id."""

    id: str
    campaign: Campaign
    revision: int
    audience: Predicate
    rank: tuple[int, int, str]
    tier: str
    start_ms: int | None
    end_ms: int | None
    trigger_event: str | None
    trigger_ms: int
    quiet_hours: QuietHours | None
    holdout: tuple[str, float] | None  # (seed, share)
    marketing: bool
    counted: bool  # must be counted at decision time: it has a cap (decide.py)
    item_reason: str

    @classmethod
    def compile(cls, campaign: Campaign, revision: int, audience: Predicate) -> CompiledCampaign:
        trigger, caps, holdout = campaign.trigger, campaign.caps, campaign.holdout
        if campaign.tier == "announcement":
            reason = "announcement"
        elif trigger is not None:
            reason = f"trigger:{trigger.event}"
        else:
            reason = "audience"
        return cls(
            id=campaign.id,
            campaign=campaign,
            revision=revision,
            audience=audience,
            rank=(TIER_RANK[campaign.tier], -campaign.priority, campaign.id),
            tier=campaign.tier,
            start_ms=_ms(campaign.schedule.start),
            end_ms=_ms(campaign.schedule.end),
            trigger_event=trigger.event if trigger else None,
            trigger_ms=trigger.within_minutes * MINUTE_MS if trigger else 0,
            quiet_hours=campaign.schedule.quiet_hours,
            holdout=(holdout.seed or campaign.id, holdout.share) if holdout else None,
            marketing=campaign.marketing,
            counted=campaign.marketing or bool(caps.per_day or caps.per_week or caps.lifetime or caps.cooldown_minutes),
            item_reason=reason,
        )

    def ineligible(self, facts: Facts, now_ms: int, local_time: dt.time) -> str | None:
        """Why the campaign cannot be shown to this user now (before caps), or None; the
        cheap checks first."""
        if (self.start_ms is not None and now_ms < self.start_ms) or (
            self.end_ms is not None and now_ms >= self.end_ms
        ):
            return "schedule"
        if self.trigger_event is not None:
            at = facts.last_at.get(self.trigger_event)
            if at is None or now_ms - at > self.trigger_ms:
                return "trigger"
        if not self.audience(facts):
            return "audience"
        if self.quiet_hours is not None and self.quiet_hours.contains(local_time):
            return "quiet_hours"
        return None

    def held_out(self, user_id: str) -> bool:
        return self.holdout is not None and in_holdout(self.holdout[0], user_id, self.holdout[1])


@dataclass(frozen=True)
class ServedSlot:
    """A slot (of the contract or created through the admin API) as the service serves it
    now (admin settings applied)."""

    id: str
    name: str  # without the channel: what a request may say
    channel: str
    kind: str
    capacity: int
    status: str


@dataclass
class CampaignSet:
    """Active campaigns by slot, slot settings, and the store version they reflect."""

    version: int
    campaigns: dict[str, CompiledCampaign]
    slots: dict[str, ServedSlot]
    by_slot: dict[str, list[CompiledCampaign]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.by_slot = {slot_id: [] for slot_id in self.slots}
        for compiled in sorted(self.campaigns.values(), key=lambda c: c.rank):
            if compiled.campaign.status != "active":
                continue
            for slot_id in compiled.campaign.slots:
                if slot_id in self.by_slot:
                    self.by_slot[slot_id].append(compiled)

    def candidates(self, slot_id: str) -> list[CompiledCampaign]:
        return self.by_slot.get(slot_id, [])

    def only_default(self) -> CampaignSet:
        """The subset served without a profile (degraded mode): default-tier campaigns."""
        defaults = {k: c for k, c in self.campaigns.items() if c.campaign.tier == "default"}
        return CampaignSet(self.version, defaults, self.slots)


def served_slots(definitions: Mapping[str, Slot], settings: Mapping[str, StoredSlot]) -> dict[str, ServedSlot]:
    """``definitions``: the contract's slots and the created ones (DefinitionContext.slots_with)."""
    served = {}
    for slot_id, slot in definitions.items():
        own = settings.get(slot_id) or StoredSlot()
        served[slot_id] = ServedSlot(
            id=slot_id,
            name=slot_id.split(".", 1)[1],
            channel=slot.channel,
            kind=slot.kind,
            capacity=own.capacity or slot.capacity,
            status=own.status,
        )
    return served


def unknown_slot(slot_id: str) -> ServedSlot:
    """A well-formed slot id this worker has not seen created, for an answer without Redis
    (degraded): nothing can be placed in it, and the answer says degraded, not unknown."""
    channel, _, name = slot_id.partition(".")
    return ServedSlot(id=slot_id, name=name, channel=channel, kind="", capacity=0, status="active")


class Compiler:
    """Compiles campaigns, reusing the previous result for an unchanged (id, revision)."""

    def __init__(self, context: DefinitionContext) -> None:
        self.context = context
        self._cache: dict[tuple[str, int], CompiledCampaign] = {}

    def build(
        self,
        version: int,
        campaigns: Iterable[tuple[str, int, Campaign | Mapping[str, Any]]],
        slot_settings: Mapping[str, StoredSlot],
    ) -> CampaignSet:
        """``campaigns``: (id, revision, definition); a definition that no longer passes the
        checks (a tag or slot it names was removed since it was saved) is left out, logged.
        ``slot_settings``: the store's, created slots included (campaigns may name those)."""
        slots = self.context.slots_with(slot_settings)
        compiled: dict[str, CompiledCampaign] = {}
        fresh: dict[tuple[str, int], CompiledCampaign] = {}
        for campaign_id, revision, definition in campaigns:
            key = (campaign_id, revision)
            hit = self._cache.get(key)
            if hit is None:
                try:
                    campaign = definition if isinstance(definition, Campaign) else Campaign.model_validate(definition)
                    hit = CompiledCampaign.compile(campaign, revision, self.context.check_campaign(campaign, slots))
                except (ValidationError, DefinitionError) as exc:
                    logger.error("campaign %s (revision %d) is not served: %s", campaign_id, revision, exc)
                    continue
            compiled[campaign_id] = fresh[key] = hit
        self._cache = fresh
        return CampaignSet(version, compiled, served_slots(slots, slot_settings))
