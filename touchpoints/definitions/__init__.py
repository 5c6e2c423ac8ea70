"""Load and check campaign definitions against the rest of the system.

The directory (``TOUCHSTREAM_TOUCHPOINTS_DEFINITIONS``, default this package's folder)
holds ``knowledge_base.yaml`` and any number of other ``*.yaml`` files with a
``campaigns:`` list. Every campaign, from a file or from the admin API, is checked here:
its slots exist (in the contract, ``core/contract/slots.yaml``, or, for the admin API and
the live set, created through it: :meth:`DefinitionContext.slots_with`), each slot's kind has
content, its audience compiles against the known tags and profile fields, its trigger
names a fact event. Errors carry a machine-readable ``reason`` and say what is wrong.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from core.contract import Catalogue, default_catalogue
from core.contract.definitions import Slot
from tagging.catalogue import TagCatalogue, default_tag_catalogue
from tagging.profiles.audiences import AUDIENCE_TAG_PREFIX  # operators' audiences (funnel drop-offs)
from touchpoints.audience import AudienceError, Identifiers, Predicate, compile_audience
from touchpoints.facts import field_types
from touchpoints.model import Campaign, KnowledgeBase, NewSlot, SlotSettings, Status, StoredSlot

DEFINITIONS_DIR = Path(__file__).parent
KNOWLEDGE_BASE_FILE = "knowledge_base.yaml"


class DefinitionError(ValueError):
    """A definition is invalid: ``reason`` is a stable code, ``str(exc)`` explains."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


# The reason of a refused new slot, by the field pydantic complains about first.
# key: only false, key slots are the contract's (the key_touchpoint_clicker tags name them).
NEW_SLOT_REASONS = {"id": "invalid_slot_id", "kind": "unknown_kind", "capacity": "invalid_capacity", "key": "key_slot"}


def validation_message(exc: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(p) for p in err['loc']) or '(body)'}: {err['msg']}" for err in exc.errors(include_url=False)
    )


def first_error(exc: ValidationError, where: str = "") -> tuple[str, str, str]:
    """(field, pydantic error type, message) of the first error, to choose a reason by;
    ``where`` names an error of the whole input."""
    err = exc.errors(include_url=False)[0]
    return (str(err["loc"][0]) if err["loc"] else where), err["type"], err["msg"]


@dataclass(frozen=True)
class DefinitionContext:
    """What campaigns are checked against; one per process, built at start."""

    contract: Catalogue
    identifiers: Identifiers
    fact_events: frozenset[str]
    knowledge_base: KnowledgeBase
    slot_id: re.Pattern[str]  # a well-formed slot id, of the contract or created (to fullmatch)

    @classmethod
    def build(
        cls, knowledge_base: KnowledgeBase, contract: Catalogue | None = None, tags: TagCatalogue | None = None
    ) -> DefinitionContext:
        contract = contract or default_catalogue()
        tags = tags or default_tag_catalogue()
        facts = frozenset(name for name, spec in contract.events.items() if spec.late == "apply")
        identifiers = Identifiers(frozenset(tags.tags), (AUDIENCE_TAG_PREFIX,), field_types(facts))
        return cls(contract, identifiers, facts, knowledge_base, re.compile(contract.slot_id_pattern()))

    def parse_campaign(self, raw: Any, slots: Mapping[str, Slot] | None = None) -> Campaign:
        """A valid campaign from untrusted data, or :class:`DefinitionError`; ``slots``: the
        slots it may name (default: the contract's)."""
        try:
            campaign = Campaign.model_validate(raw)
        except ValidationError as exc:
            raise DefinitionError("invalid_campaign", validation_message(exc)) from None
        self.check_campaign(campaign, slots)
        return campaign

    def check_campaign(self, campaign: Campaign, slots: Mapping[str, Slot] | None = None) -> Predicate:
        """Cross-checks; returns the compiled audience so callers need not compile twice."""
        where = f"campaign {campaign.id}"
        known = self.contract.slots if slots is None else slots
        kinds = set()
        for slot_id in campaign.slots:
            slot = known.get(slot_id)
            if slot is None:
                raise DefinitionError(
                    "unknown_slot",
                    f"{where}: slot {slot_id!r} is neither in core/contract/slots.yaml nor created "
                    "through POST /v1/admin/slots",
                )
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

    def slots_with(self, stored: Mapping[str, StoredSlot]) -> dict[str, Slot]:
        """The contract's slots and the created ones among ``stored`` (archived included: a
        campaign naming one stays valid). A contract slot wins over a created one of its id."""
        contract = self.contract.slots
        created = {i: s.definition for i, s in stored.items() if s.definition is not None and i not in contract}
        return {**contract, **created}

    @staticmethod
    def parse_slot_settings(raw: Any) -> SlotSettings:
        try:
            return SlotSettings.model_validate(raw)
        except ValidationError as exc:
            raise DefinitionError("invalid_slot", validation_message(exc)) from None

    def parse_new_slot(self, raw: Any) -> tuple[str, Slot, Status]:
        """A new slot from untrusted data (id, definition, initial status), or :class:`DefinitionError`
        whose reason names what is wrong (invalid_slot_id, unknown_channel, unknown_kind...).
        Whether the id is taken is the caller's to check (the contract's, the store's)."""
        try:
            new = NewSlot.model_validate(raw)
        except ValidationError as exc:
            field, kind, _ = first_error(exc)
            if kind == "extra_forbidden":
                reason = "unknown_field"
            elif kind == "missing":
                reason = "missing_field"
            else:
                reason = NEW_SLOT_REASONS.get(field, "invalid_slot")
            raise DefinitionError(reason, validation_message(exc)) from None
        channel = new.id.split(".", 1)[0]
        if channel not in self.contract.channels:
            raise DefinitionError(
                "unknown_channel", f"id: channel {channel!r} is none of {', '.join(self.contract.channels)}"
            )
        definition = Slot(channel=channel, kind=new.kind, key=False, capacity=new.capacity)
        return new.id, definition, new.status


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
