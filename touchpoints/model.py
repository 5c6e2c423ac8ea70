"""Campaigns, slot settings and the recommendation knowledge base, as validated data.

These models check what a definition says on its own (types, ranges, formats); what it
says about the rest of the system (slots of the contract, tags, fact events, the
knowledge base) is checked by :mod:`touchpoints.definitions` with the same error type.
Definitions arrive from the data files in ``touchpoints/definitions/`` and from the admin
API; both go through the same checks.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Literal

from pydantic import AwareDatetime, ConfigDict, Field, field_validator, model_validator

from core.contract.definitions import SLOT_NAME_PATTERN, Slot, SlotKind
from core.models import StrictModel

Tier = Literal["announcement", "precision", "default"]
TIER_RANK: dict[str, int] = {"announcement": 0, "precision": 1, "default": 2}
Status = Literal["active", "paused", "archived"]
Category = Literal["marketing", "service"]

ID_PATTERN = r"^[a-z][a-z0-9_-]{0,63}$"  # no ',', ':' or ';': the decision log joins ids with them
# A created slot's id; its channel must also be one of the contract's (DefinitionContext.parse_new_slot).
NEW_SLOT_ID_PATTERN = f"^[a-z][a-z0-9_]{{0,15}}\\.{SLOT_NAME_PATTERN}$"
MAX_SLOT_CAPACITY = 20
CONTENT_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"
_LINK = re.compile(r"^(/[^\s]*|https://[^\s/]+(/[^\s]*)?)$")  # a path of the portal or an https URL


class Content(StrictModel):
    """What a slot shows: ``link`` is a portal path or an https URL (never ``javascript:``)."""

    id: str = Field(pattern=CONTENT_ID_PATTERN)
    title: str = Field(min_length=1, max_length=200)
    text: str = Field(default="", max_length=1000)
    link: str | None = Field(default=None, max_length=1000)
    image: str | None = Field(default=None, max_length=1000)

    @field_validator("link", "image")
    @classmethod
    def _safe_link(cls, value: str | None) -> str | None:
        if value is not None and not _LINK.match(value):
            raise ValueError("must be a path starting with / or an https:// URL")
        return value


class QuietHours(StrictModel):
    """No content from ``start`` to ``end`` in the user's local time (may span midnight)."""

    start: dt.time
    end: dt.time

    @model_validator(mode="after")
    def _not_empty(self) -> QuietHours:
        if self.start == self.end:
            raise ValueError("quiet hours: start and end must differ")
        if self.start.tzinfo or self.end.tzinfo:
            raise ValueError("quiet hours are local times without a zone (e.g. 22:00)")
        return self

    def contains(self, local: dt.time) -> bool:
        if self.start < self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end


class Schedule(StrictModel):
    start: AwareDatetime | None = None
    end: AwareDatetime | None = None
    quiet_hours: QuietHours | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Schedule:
        if self.start and self.end and self.start >= self.end:
            raise ValueError("schedule: start must be before end")
        return self


class Caps(StrictModel):
    """Per campaign and user; ``None`` is no cap. The monthly marketing cap is global (settings)."""

    per_day: int | None = Field(default=None, ge=1, le=1000)
    per_week: int | None = Field(default=None, ge=1, le=10000)
    lifetime: int | None = Field(default=None, ge=1, le=100000)
    cooldown_minutes: int = Field(default=0, ge=0, le=525600)
    marketing_cap_exempt: bool = False


class Trigger(StrictModel):
    """The campaign fires only within ``within_minutes`` of the user's latest ``event``."""

    event: str
    within_minutes: int = Field(ge=1, le=60 * 24 * 35)


class Holdout(StrictModel):
    """A deterministic share of the audience kept as a control group (shown nothing)."""

    share: float = Field(gt=0, lt=1)
    seed: str | None = Field(default=None, max_length=64)  # default: the campaign id


class Recommend(StrictModel):
    """Default tier: content from the knowledge base for the request's context action."""

    max_items: int = Field(default=2, ge=1, le=10)


class Campaign(StrictModel):
    id: str = Field(pattern=ID_PATTERN)
    name: str = Field(min_length=1, max_length=200)
    tier: Tier
    priority: int = Field(default=0, ge=0, le=1000)  # higher first within the tier
    category: Category = "marketing"
    audience: str = Field(default="true", max_length=1000)
    trigger: Trigger | None = None
    slots: list[str] = Field(min_length=1, max_length=64)
    content: dict[SlotKind, Content] = Field(default_factory=dict)
    recommend: Recommend | None = None
    schedule: Schedule = Field(default_factory=Schedule)
    caps: Caps = Field(default_factory=Caps)
    holdout: Holdout | None = None
    status: Status = "active"

    @model_validator(mode="after")
    def _consistent(self) -> Campaign:
        if len(set(self.slots)) != len(self.slots):
            raise ValueError("slots: listed twice")
        if self.recommend is not None and self.tier != "default":
            raise ValueError("recommend: only default-tier campaigns take content from the knowledge base")
        if self.tier == "default" and self.recommend is None and not self.content:
            raise ValueError("a default-tier campaign needs recommend or content")
        if self.caps.marketing_cap_exempt and not (self.tier == "announcement" or self.category == "service"):
            raise ValueError("caps.marketing_cap_exempt: only announcements and service campaigns may be exempt")
        return self

    @property
    def marketing(self) -> bool:
        """Counts against the monthly marketing cap."""
        return not self.caps.marketing_cap_exempt


class SlotSettings(StrictModel):
    """How the service serves one slot (``PUT /v1/admin/slots/<id>``)."""

    capacity: int | None = Field(default=None, ge=1, le=MAX_SLOT_CAPACITY)  # None: the definition's capacity
    status: Status = "active"


class StoredSlot(SlotSettings):
    """What the store keeps per slot: its settings and, for a slot created through the admin
    API, its definition (what ``core/contract/slots.yaml`` says of a contract slot), which
    never changes: campaigns were checked against its kind."""

    definition: Slot | None = None

    def document(self) -> dict[str, object]:
        """As stored: a contract slot's settings without an empty ``definition``."""
        return self.model_dump(mode="json", exclude={"definition"} if self.definition is None else None)


class NewSlot(StrictModel):
    """``POST /v1/admin/slots``: a slot beside those of the contract. Strict types (no ``"2"``
    for 2, no ``true`` for 1): an operator's typo is an error, not a guess."""

    model_config = ConfigDict(strict=True)

    id: str = Field(pattern=NEW_SLOT_ID_PATTERN, description="<channel>.<name>, e.g. app.topup_page_banner")
    kind: SlotKind
    capacity: int = Field(ge=1, le=MAX_SLOT_CAPACITY, description="How many items it shows")
    key: Literal[False] = Field(default=False, description="Key slots are defined in core/contract/slots.yaml only")
    status: Status = "active"


class KnowledgeBase(StrictModel):
    """After action X, recommend items Y1..Yn in order (seed 004)."""

    items: dict[str, Content] = Field(min_length=1)
    actions: dict[str, list[str]] = Field(min_length=1)
    default_action: str
    slot_actions: dict[str, str] = Field(default_factory=dict)  # slot name (no channel) -> action

    @model_validator(mode="after")
    def _references(self) -> KnowledgeBase:
        for action, items in self.actions.items():
            if not re.match(ID_PATTERN, action):
                raise ValueError(f"action {action!r}: must match {ID_PATTERN}")
            missing = [i for i in items if i not in self.items]
            if missing or not items:
                raise ValueError(f"action {action!r}: unknown or no items {missing}")
        for key, item in self.items.items():
            if item.id != key:
                raise ValueError(f"item {key!r}: its id must be {key!r}")
        known = set(self.actions)
        if self.default_action not in known:
            raise ValueError(f"default_action {self.default_action!r} is not an action")
        for slot, action in self.slot_actions.items():
            if action not in known:
                raise ValueError(f"slot_actions.{slot}: {action!r} is not an action")
        return self

    def action_for(self, context: str | None, slot_name: str) -> str:
        if context is not None:
            return context
        return self.slot_actions.get(slot_name, self.default_action)

    def recommendations(self, action: str, limit: int) -> list[Content]:
        return [self.items[i] for i in self.actions[action][:limit]]
