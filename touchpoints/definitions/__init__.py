"""Load and check campaign definitions against the rest of the system.

The directory (``TOUCHSTREAM_TOUCHPOINTS_DEFINITIONS``, default this package's folder)
holds ``knowledge_base.yaml`` and any number of other ``*.yaml`` files with a
``campaigns:`` list. Every campaign, from a file or from the admin API, is checked here:
its slots exist in the contract (``core/contract/slots.yaml``), each slot's kind has
content, its audience compiles against the known tags and profile fields, its trigger
names a fact event. Errors carry a machine-readable ``reason`` and say what is wrong.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from core.contract import Catalogue, default_catalogue
from tagging.catalogue import TagCatalogue, default_tag_catalogue
from tagging.profiles.audiences import AUDIENCE_TAG_PREFIX  # operators' audiences (funnel drop-offs)
from touchpoints.audience import AudienceError, Identifiers, Predicate, compile_audience
from touchpoints.facts import field_types
from touchpoints.model import Campaign, KnowledgeBase, SlotSettings

DEFINITIONS_DIR = Path(__file__).parent
KNOWLEDGE_BASE_FILE = "knowledge_base.yaml"


class DefinitionError(ValueError):
    """A definition is invalid: ``reason`` is a stable code, ``str(exc)`` explains."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


def validation_message(exc: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(p) for p in err['loc']) or '(body)'}: {err['msg']}" for err in exc.errors(include_url=False)
    )


@dataclass(frozen=True)
class DefinitionContext:
    """What campaigns are checked against; one per process, built at start."""

    contract: Catalogue
    identifiers: Identifiers
    fact_events: frozenset[str]
    knowledge_base: KnowledgeBase

    @classmethod
    def build(
        cls, knowledge_base: KnowledgeBase, contract: Catalogue | None = None, tags: TagCatalogue | None = None
    ) -> DefinitionContext:
        contract = contract or default_catalogue()
        tags = tags or default_tag_catalogue()
        facts = frozenset(name for name, spec in contract.events.items() if spec.late == "apply")
        identifiers = Identifiers(frozenset(tags.tags), (AUDIENCE_TAG_PREFIX,), field_types(facts))
        return cls(contract, identifiers, facts, knowledge_base)

    def parse_campaign(self, raw: Any) -> Campaign:
        """A valid campaign from untrusted data, or :class:`DefinitionError`."""
        try:
            campaign = Campaign.model_validate(raw)
        except ValidationError as exc:
            raise DefinitionError("invalid_campaign", validation_message(exc)) from None
        self.check_campaign(campaign)
        return campaign

    def check_campaign(self, campaign: Campaign) -> Predicate:
        """Cross-checks; returns the compiled audience so callers need not compile twice."""
        where = f"campaign {campaign.id}"
        kinds = set()
        for slot_id in campaign.slots:
            slot = self.contract.slots.get(slot_id)
            if slot is None:
                raise DefinitionError("unknown_slot", f"{where}: slot {slot_id!r} is not in core/contract/slots.yaml")
            kinds.add(slot.kind)
        if campaign.recommend is None:
            missing = sorted(kinds - campaign.content.keys())
            if missing:
                raise DefinitionError("missing_content", f"{where}: no content for slot kind(s) {', '.join(missing)}")
        unused = sorted(campaign.content.keys() - kinds)
        if unused:
            raise DefinitionError(
                "unused_content", f"{where}: content for kind(s) {', '.join(unused)} but no such slot"
            )
        if campaign.trigger and campaign.trigger.event not in self.fact_events:
            raise DefinitionError(
                "invalid_trigger",
                f"{where}: trigger event {campaign.trigger.event!r} is none of {', '.join(sorted(self.fact_events))}",
            )
        try:
            return compile_audience(campaign.audience, self.identifiers)
        except AudienceError as exc:
            raise DefinitionError("invalid_audience", f"{where}: audience: {exc}") from None

    def parse_slot_settings(self, slot_id: str, raw: Any) -> SlotSettings:
        if slot_id not in self.contract.slots:
            raise DefinitionError(
                "unknown_slot",
                f"slot {slot_id!r} is not in core/contract/slots.yaml; new slots are added there first "
                "(the collector validates touchpoint events against it)",
            )
        try:
            return SlotSettings.model_validate(raw)
        except ValidationError as exc:
            raise DefinitionError("invalid_slot", validation_message(exc)) from None


def _read_yaml(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise DefinitionError("unreadable_definitions", f"{path}: {exc}") from None


def load_knowledge_base(directory: Path = DEFINITIONS_DIR) -> KnowledgeBase:
    path = Path(directory) / KNOWLEDGE_BASE_FILE
    try:
        return KnowledgeBase.model_validate(_read_yaml(path))
    except ValidationError as exc:
        raise DefinitionError("invalid_knowledge_base", f"{path}: {validation_message(exc)}") from None


@dataclass(frozen=True)
class FileCampaign:
    campaign: Campaign
    source: str  # file name
    digest: str  # of the campaign's normalised definition: a changed file is reloaded


def campaign_digest(campaign: Campaign) -> str:
    return hashlib.sha256(campaign.model_dump_json().encode()).hexdigest()[:16]


def load_file_campaigns(context: DefinitionContext, directory: Path = DEFINITIONS_DIR) -> list[FileCampaign]:
    """Every campaign of the data files, checked; a bad file fails the start with its name."""
    found: dict[str, FileCampaign] = {}
    for path in sorted(Path(directory).glob("*.yaml")):
        if path.name == KNOWLEDGE_BASE_FILE:
            continue
        raw = _read_yaml(path) or {}
        if not isinstance(raw, dict) or set(raw) - {"campaigns"}:
            raise DefinitionError("invalid_campaign", f"{path}: expected a mapping with one key, campaigns")
        for index, entry in enumerate(raw.get("campaigns") or []):
            try:
                campaign = context.parse_campaign(entry)
            except DefinitionError as exc:
                raise DefinitionError(exc.reason, f"{path.name} campaign #{index}: {exc}") from None
            if campaign.id in found:
                raise DefinitionError("duplicate_campaign", f"{path.name}: campaign {campaign.id} defined twice")
            found[campaign.id] = FileCampaign(campaign, path.name, campaign_digest(campaign))
    return list(found.values())
