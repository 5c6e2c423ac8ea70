"""Tag definitions as data: ``definitions/*.yaml`` loaded and validated into a catalogue.

A file has optional per-family defaults and a list of tags::

    families:
      browser: {min_views: 3, window_days: 7}
    tags:
      - name: browser:plan              # family:subject
        description: ...
      - name: browser:plan/hot          # family:subject/variant: same family, other params
        params: {min_views: 5, window_days: 1}

A tag's parameters are the family's built-in defaults, overridden by ``families``, then by
its own ``params``. Subjects are checked against the event contract (flows, business
lines, key slots). Validation is strict and every error names the file and the tag, so a
bad edit fails at load, never as tags that silently stop changing.
"""

from __future__ import annotations

import hashlib
import logging
import re
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import Field, ValidationError

from core.contract import Catalogue, default_catalogue
from core.models import StrictModel
from tagging.families import FAMILIES, ChurnParams, FamilyParams

logger = logging.getLogger(__name__)

DEFINITIONS_DIR = Path(__file__).parent / "definitions"
NAME_RE = re.compile(r"^(?P<family>[a-z_]+)(?::(?P<subject>[A-Za-z0-9_.\-]+))?(?:/(?P<variant>[a-z0-9_]+))?$")


class TagDefinitionError(ValueError):
    """A definition file is invalid; the message names the file and the tag."""


class _TagEntry(StrictModel):
    name: str
    description: str = ""
    params: dict[str, Any] = Field(default_factory=dict)


class _TagsFile(StrictModel):
    families: dict[str, dict[str, Any]] = Field(default_factory=dict)
    tags: list[_TagEntry] = Field(default_factory=list)


class TagDefinition(StrictModel):
    """One tag: ``name`` is ``family:subject`` (``family`` alone when it has no subject),
    optionally followed by ``/variant``."""

    name: str
    family: str
    subject: str | None
    params: FamilyParams
    description: str = ""
    source: str = ""


class TagCatalogue(StrictModel):
    """Every tag, and the event contract (flows, businesses, slots) they were checked against."""

    tags: dict[str, TagDefinition]
    contract: Catalogue
    fingerprint: str = ""

    def of_family(self, family: str) -> list[TagDefinition]:
        return [t for t in self.tags.values() if t.family == family]


def _short(exc: ValidationError) -> str:
    return "; ".join(f"{'.'.join(str(p) for p in err['loc']) or '(top)'}: {err['msg']}" for err in exc.errors())


def _params(family: str, values: dict[str, Any], where: str) -> FamilyParams:
    try:
        return FAMILIES[family][1].model_validate(values)
    except ValidationError as exc:
        raise TagDefinitionError(f"{where}: params: {_short(exc)}") from None


def _check_subject(family: str, subject: str | None, contract: Catalogue, where: str) -> None:
    kind = FAMILIES[family][0]
    if kind == "none":
        if subject is not None:
            raise TagDefinitionError(f"{where}: family {family} takes no subject")
        return
    if subject is None:
        raise TagDefinitionError(f"{where}: family {family} needs a subject (a {kind}): {family}:<{kind}>")
    if kind == "flow" and subject not in contract.flows:
        raise TagDefinitionError(f"{where}: unknown flow {subject!r} (see core/contract/flows.yaml)")
    if kind == "business" and subject not in contract.businesses:
        raise TagDefinitionError(f"{where}: unknown business line {subject!r}")
    if kind == "slot":
        slot = contract.slots.get(subject)
        if slot is None:
            raise TagDefinitionError(f"{where}: unknown slot {subject!r} (see core/contract/slots.yaml)")
        if not slot.key:
            raise TagDefinitionError(f"{where}: slot {subject!r} is not a key slot")


def _definition(
    entry: _TagEntry, defaults: dict[str, dict[str, Any]], contract: Catalogue, where: str
) -> TagDefinition:
    match = NAME_RE.match(entry.name)
    if not match:
        raise TagDefinitionError(f"{where}: bad name {entry.name!r}: expected family:subject[/variant]")
    family, subject = match["family"], match["subject"]
    if family not in FAMILIES:
        raise TagDefinitionError(f"{where}: unknown family {family!r} (known: {', '.join(FAMILIES)})")
    _check_subject(family, subject, contract, where)
    params = _params(family, {**defaults.get(family, {}), **entry.params}, where)
    if isinstance(params, ChurnParams):
        unknown = set(params.activity_events) - set(contract.events)
        if unknown:
            raise TagDefinitionError(f"{where}: params: unknown activity event(s) {sorted(unknown)}")
    return TagDefinition(
        name=entry.name,
        family=family,
        subject=subject,
        params=params,
        description=entry.description,
        source=where,
    )


def definition_files(directory: Path) -> list[Path]:
    """The YAML files a catalogue is made of (sorted, so loading is deterministic)."""
    return sorted(p for p in Path(directory).glob("*.yaml") if not p.name.startswith((".", "_")))


def _read(path: Path) -> tuple[_TagsFile, str]:
    try:
        text = path.read_text(encoding="utf-8")
        raw = yaml.safe_load(text) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise TagDefinitionError(f"{path.name}: cannot read: {exc}") from None
    try:
        return _TagsFile.model_validate(raw), text
    except ValidationError as exc:
        raise TagDefinitionError(f"{path.name}: {_short(exc)}") from None


def load_tag_catalogue(directory: Path = DEFINITIONS_DIR, contract: Catalogue | None = None) -> TagCatalogue:
    """Load every ``*.yaml`` in ``directory``; raises :class:`TagDefinitionError` at the first problem."""
    contract = contract or default_catalogue()
    files = [(path, *_read(path)) for path in definition_files(directory)]
    defaults: dict[str, dict[str, Any]] = {}
    for path, parsed, _ in files:
        for family, values in parsed.families.items():
            where = f"{path.name} families.{family}"
            if family not in FAMILIES:
                raise TagDefinitionError(f"{where}: unknown family {family!r} (known: {', '.join(FAMILIES)})")
            if family in defaults:
                raise TagDefinitionError(f"{where}: defaults given twice")
            _params(family, values, where)
            defaults[family] = values
    tags: dict[str, TagDefinition] = {}
    for path, parsed, _ in files:
        for index, entry in enumerate(parsed.tags):
            where = f"{path.name} tag {entry.name!r} (tags[{index}])"
            if entry.name in tags:
                raise TagDefinitionError(f"{where}: defined twice (also {tags[entry.name].source})")
            tags[entry.name] = _definition(entry, defaults, contract, where)
    if not tags:
        raise TagDefinitionError(f"{directory}: no tag definitions in {len(files)} file(s)")
    digest = hashlib.sha1()
    for path, _, text in files:
        digest.update(f"{path.name}\0{text}\0".encode())
    digest.update(contract.model_dump_json().encode())
    logger.debug("loaded %d tags from %s", len(tags), directory)
    return TagCatalogue(tags=tags, contract=contract, fingerprint=digest.hexdigest()[:12])


@cache
def default_tag_catalogue() -> TagCatalogue:
    """The shipped definitions, loaded once per process."""
    return load_tag_catalogue()
