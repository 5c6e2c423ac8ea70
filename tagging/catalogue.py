"""Tag definitions as data: ``definitions/*.yaml`` loaded and validated into a catalogue.

Validation is strict (unknown keys, families, businesses, flows or slots are errors) and
every error names the file and the tag, so a bad edit is found at load, never as tags that
silently stop changing.
"""

from __future__ import annotations

import hashlib
import logging
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from tagging.families import FAMILIES, FamilyParams
from touchstream.contract import Catalogue, default_catalogue

logger = logging.getLogger(__name__)

DEFINITIONS_DIR = Path(__file__).parent / "definitions"
SLOTS_FILE = "slots.yaml"


class TagDefinitionError(ValueError):
    """A definition file is invalid; the message names the file and the tag."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SlotSpec(_Strict):
    channels: list[str] = Field(min_length=1)
    key: bool = False
    description: str = ""


class _SlotsFile(_Strict):
    slots: dict[str, SlotSpec] = Field(min_length=1)


class _TagEntry(_Strict):
    family: str
    subject: str | None = None
    subjects: list[str] | None = None
    description: str = ""
    params: dict[str, Any] = Field(default_factory=dict)


class _TagsFile(_Strict):
    tags: list[_TagEntry] = Field(min_length=1)


class TagDefinition(_Strict):
    """One tag: ``name`` is ``family:subject`` (just ``family`` when it has no subject)."""

    name: str
    family: str
    subject: str | None
    params: FamilyParams
    description: str = ""
    source: str = ""


class TagCatalogue(_Strict):
    """Every tag, the slots, and the event contract they were checked against."""

    tags: dict[str, TagDefinition]
    slots: dict[str, SlotSpec]
    contract: Catalogue
    fingerprint: str = ""

    def of_family(self, family: str) -> list[TagDefinition]:
        return [t for t in self.tags.values() if t.family == family]

    @property
    def key_slots(self) -> list[str]:
        return sorted(name for name, spec in self.slots.items() if spec.key)


def _read_yaml(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise TagDefinitionError(f"{path.name}: cannot read: {exc}") from exc


def _short(exc: ValidationError) -> str:
    return "; ".join(f"{'.'.join(str(p) for p in err['loc']) or '(top)'}: {err['msg']}" for err in exc.errors())


def _load_slots(path: Path, contract: Catalogue) -> dict[str, SlotSpec]:
    try:
        slots = _SlotsFile.model_validate(_read_yaml(path)).slots
    except ValidationError as exc:
        raise TagDefinitionError(f"{path.name}: {_short(exc)}") from None
    for name, spec in slots.items():
        unknown = set(spec.channels) - set(contract.channels)
        if unknown:
            raise TagDefinitionError(f"{path.name}: slot {name!r}: unknown channel(s) {sorted(unknown)}")
    return slots


def _expand(entry: _TagEntry, where: str, contract: Catalogue, slots: dict[str, SlotSpec]) -> list[TagDefinition]:
    if entry.family not in FAMILIES:
        raise TagDefinitionError(f"{where}: unknown family {entry.family!r} (known: {', '.join(FAMILIES)})")
    kind, params_model = FAMILIES[entry.family]
    if entry.subject is not None and entry.subjects is not None:
        raise TagDefinitionError(f"{where}: give either subject or subjects, not both")
    subjects: list[str | None] = list(entry.subjects or []) or [entry.subject]
    if kind == "none" and subjects != [None]:
        raise TagDefinitionError(f"{where}: family {entry.family} takes no subject")
    try:
        params = params_model.model_validate(entry.params)
    except ValidationError as exc:
        raise TagDefinitionError(f"{where}: params: {_short(exc)}") from None
    out = []
    for subject in subjects:
        name = entry.family if subject is None else f"{entry.family}:{subject}"
        here = f"{where} tag {name!r}"
        if kind == "flow" and subject not in contract.flows:
            raise TagDefinitionError(f"{here}: unknown flow {subject!r}")
        if kind == "business" and subject not in contract.businesses:
            raise TagDefinitionError(f"{here}: unknown business {subject!r}")
        if kind == "slot":
            if subject not in slots:
                raise TagDefinitionError(f"{here}: unknown slot {subject!r} (see {SLOTS_FILE})")
            if not slots[subject].key:
                raise TagDefinitionError(f"{here}: slot {subject!r} is not marked key in {SLOTS_FILE}")
        if kind != "none" and subject is None:
            raise TagDefinitionError(f"{where}: family {entry.family} needs a subject ({kind})")
        if entry.family == "silent_churn_risk":
            unknown = set(params.activity_events) - set(contract.events)  # type: ignore[attr-defined]
            if unknown:
                raise TagDefinitionError(f"{here}: unknown activity event(s) {sorted(unknown)}")
        out.append(
            TagDefinition(
                name=name,
                family=entry.family,
                subject=subject,
                params=params,
                description=entry.description,
                source=where,
            )
        )
    return out


def definition_files(directory: Path) -> list[Path]:
    """The YAML files a catalogue is made of (sorted, so loading is deterministic)."""
    return sorted(p for p in directory.glob("*.yaml") if not p.name.startswith((".", "_")))


def load_tag_catalogue(directory: Path = DEFINITIONS_DIR, contract: Catalogue | None = None) -> TagCatalogue:
    """Load ``slots.yaml`` and every other ``*.yaml`` (tag lists) in ``directory``.

    Raises :class:`TagDefinitionError` naming the file and tag at the first problem.
    """
    contract = contract or default_catalogue()
    directory = Path(directory)
    slots_path = directory / SLOTS_FILE
    if not slots_path.is_file():
        raise TagDefinitionError(f"{directory}: {SLOTS_FILE} is missing")
    slots = _load_slots(slots_path, contract)
    tags: dict[str, TagDefinition] = {}
    texts = []
    for path in definition_files(directory):
        texts.append(path.name + "\n" + path.read_text(encoding="utf-8"))
        if path.name == SLOTS_FILE:
            continue
        raw = _read_yaml(path)
        try:
            parsed = _TagsFile.model_validate(raw)
        except ValidationError as exc:
            raise TagDefinitionError(f"{path.name}: {_short(exc)}") from None
        for index, entry in enumerate(parsed.tags):
            where = f"{path.name} tags[{index}] ({entry.family})"
            for tag in _expand(entry, where, contract, slots):
                if tag.name in tags:
                    raise TagDefinitionError(f"{where} tag {tag.name!r}: defined twice (also {tags[tag.name].source})")
                tags[tag.name] = tag
    if not tags:
        raise TagDefinitionError(f"{directory}: no tag definitions")
    fingerprint = hashlib.sha1("\0".join(texts).encode()).hexdigest()[:12]
    logger.debug("loaded %d tags from %s (%s)", len(tags), directory, fingerprint)
    return TagCatalogue(tags=tags, slots=slots, contract=contract, fingerprint=fingerprint)


@cache
def default_tag_catalogue() -> TagCatalogue:
    """The shipped definitions, loaded once per process."""
    return load_tag_catalogue()
