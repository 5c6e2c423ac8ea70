"""The tracking plan as data: the event catalogue, the business flows and the touchpoint slots.

Both files are validated at load so that a typo in a definition fails loudly at start,
never as silently rejected (or silently accepted) traffic.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import Field, model_validator

from core.models import StrictModel

HERE = Path(__file__).parent
CATALOGUE_FILE = HERE / "catalogue.yaml"
FLOWS_FILE = HERE / "flows.yaml"
SLOTS_FILE = HERE / "slots.yaml"

PropType = Literal["string", "integer", "number", "boolean", "date"]
# A slot's name after its channel: the same for slots.yaml and for slots operators create
# through the touchpoint admin API (docs/touchpoints.md), which the collector cannot list.
SLOT_NAME_PATTERN = "[a-z][a-z0-9_]{0,47}"
PropFormat = Literal["slot_id"]


class PropSpec(StrictModel):
    """``enum``: one of a list of the contract. ``format``: a shape, for values the contract
    cannot list: ``slot_id`` is ``<channel>.<name>`` with a channel of the contract."""

    type: PropType
    required: bool = False
    enum: Literal["businesses", "flows", "slots"] | None = None
    format: PropFormat | None = None
    min: float | None = None
    max: float | None = None


EventSource = Literal["client", "backend", "service"]
LatePolicy = Literal["drop", "apply", "apply_last_step"]


class EventSpec(StrictModel):
    """One event of the tracking plan.

    ``source``: who may send it. ``client`` events come from browsers and apps; ``backend``
    events (the operator's business facts) and ``service`` events (Touchstream's own, such as
    touchpoint decisions) are accepted only with the back end's credential (docs/collector.md).
    ``late``: what an event that arrives behind the stream's watermark still does to the
    profile: ``drop`` (counted in late_events only), ``apply`` (a fact: applied at the
    watermark it arrived at), ``apply_last_step`` (flow steps: applied when they complete
    the flow). See docs/time.md.
    """

    description: str
    source: EventSource = "client"
    late: LatePolicy = "drop"
    props: dict[str, PropSpec] = Field(default_factory=dict)


class Limits(StrictModel):
    """Bounds on what a client may send (docs/events.md)."""

    max_props: int = Field(gt=0)
    max_prop_key_chars: int = Field(gt=0)
    max_prop_string_chars: int = Field(gt=0)
    max_past_days: int = Field(gt=0)  # oldest derived event time accepted
    # How far a device clock (raw ts, sent_at) may be from the server's: it no longer decides
    # event time (core/contract/event_time.py), so this only catches seconds or microseconds
    # sent as milliseconds and clocks reset to 1970.
    max_clock_skew_days: int = Field(gt=0)

    @model_validator(mode="after")
    def _skew_covers_past(self) -> Limits:
        if self.max_clock_skew_days < self.max_past_days:
            raise ValueError("max_clock_skew_days must be >= max_past_days (an old event from a right clock is fine)")
        return self


class Flow(StrictModel):
    business: str
    steps: list[str] = Field(min_length=1)

    @property
    def last_step(self) -> int:
        return len(self.steps)


SlotKind = Literal["login_popup", "precision_floor", "banner", "floating_icon", "reminder", "associated_recommendation"]


class Slot(StrictModel):
    channel: str
    kind: SlotKind
    key: bool = False
    capacity: int = Field(ge=1)


class Catalogue(StrictModel):
    version: int
    limits: Limits
    channels: list[str] = Field(min_length=1)
    businesses: list[str] = Field(min_length=1)
    events: dict[str, EventSpec] = Field(min_length=1)
    flows: dict[str, Flow] = Field(default_factory=dict)
    slots: dict[str, Slot] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _cross_check(self) -> Catalogue:
        for name, flow in self.flows.items():
            if flow.business not in self.businesses:
                raise ValueError(f"flow {name!r}: unknown business {flow.business!r}")
        for name, slot in self.slots.items():
            if slot.channel not in self.channels:
                raise ValueError(f"slot {name!r}: unknown channel {slot.channel!r}")
            if not re.fullmatch(f"{re.escape(slot.channel)}\\.{SLOT_NAME_PATTERN}", name):
                raise ValueError(f"slot {name!r}: must be {slot.channel}.<name>, the name matching {SLOT_NAME_PATTERN}")
        for name, spec in self.events.items():
            for prop, p in spec.props.items():
                if (p.enum or p.format) and p.type != "string":
                    raise ValueError(f"event {name!r} prop {prop!r}: enum and format need type string")
            if spec.late == "apply_last_step" and not {"flow", "step"} <= spec.props.keys():
                raise ValueError(f"event {name!r}: late policy apply_last_step needs props flow and step")
        return self

    def allowed(self, enum: str) -> frozenset[str]:
        return frozenset({"businesses": self.businesses, "flows": self.flows, "slots": self.slots}[enum])

    def slot_id_pattern(self) -> str:
        """A well-formed slot id, of the contract or not: ``<channel>.<name>`` (a regular expression)."""
        channels = "|".join(re.escape(c) for c in self.channels)
        return f"(?:{channels})\\.{SLOT_NAME_PATTERN}"

    def formats(self) -> dict[PropFormat, re.Pattern[str]]:
        """Each ``format`` of a prop as a compiled expression (to ``fullmatch``)."""
        return {"slot_id": re.compile(self.slot_id_pattern())}

    @property
    def key_slots(self) -> list[str]:
        return [name for name, slot in self.slots.items() if slot.key]


def load_catalogue(
    catalogue_file: Path = CATALOGUE_FILE, flows_file: Path = FLOWS_FILE, slots_file: Path = SLOTS_FILE
) -> Catalogue:
    """Load and validate the definition files; raises ``pydantic.ValidationError``."""
    raw = yaml.safe_load(catalogue_file.read_text(encoding="utf-8"))
    raw["flows"] = yaml.safe_load(flows_file.read_text(encoding="utf-8"))["flows"]
    raw["slots"] = yaml.safe_load(slots_file.read_text(encoding="utf-8"))["slots"]
    return Catalogue.model_validate(raw)


@cache
def default_catalogue() -> Catalogue:
    """The shipped catalogue, loaded once per process."""
    return load_catalogue()
