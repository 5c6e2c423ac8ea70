"""Tag definitions as data: ``definitions/*.yaml`` loaded and validated into a catalogue.

A file has optional per-family defaults and a list of tags::

    families:
      browser: {min_views: 3, window_days: 7}
    tags:
      - name: browser:plan              # family:subject
        description: ...
      - name: browser:plan/hot          # family:subject/variant: same family, other params
        params: {min_views: 5, window_days: 1}
    retired: [browser:plan/old]         # optional: tags this set drops on purpose (tagging.diff)

A tag's parameters are the family's built-in defaults, overridden by ``families``, then by
its own ``params``. Subjects are checked against the event contract (flows, business
lines, key slots). Validation is strict and every error names the file and the tag, so a
bad edit fails at load, never as tags that silently stop changing. Reading is bounded
(file size, nesting, no YAML aliases) and anything a hostile file makes the parser raise
becomes a :class:`TagDefinitionError`, so a caller that keeps its previous catalogue on
that error survives any file.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import Field, ValidationError

from core.contract import Catalogue, default_catalogue
from core.models import StrictModel
from tagging.families import FAMILIES, ChurnParams, FamilyParams
from tagging.seal import SealState, unseal

logger = logging.getLogger(__name__)

DEFINITIONS_DIR = Path(__file__).parent / "definitions"
NAME_RE = re.compile(r"^(?P<family>[a-z_]+)(?::(?P<subject>[A-Za-z0-9_.\-]+))?(?:/(?P<variant>[a-z0-9_]+))?$")
FILE_NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,95}\.yaml")
# Bounds on what a definitions file may make the loader do (the shipped file is ~6 KB, 4 levels deep).
MAX_FILE_BYTES = 1 << 20
MAX_FILES = 64
MAX_DEPTH = 32
SEAL_PROBLEMS: dict[SealState, str] = {
    "missing": "not sealed: publish it with `touchstream tags deploy` (the job loads only sealed files)",
    "mismatch": "the seal does not match the content: the file is incomplete or was edited after it was "
    "sealed; publish it with `touchstream tags deploy`",
}


class TagDefinitionError(ValueError):
    """A definition file is invalid; the message names the file and the tag."""


class _TagEntry(StrictModel):
    name: str
    description: str = ""
    params: dict[str, Any] = Field(default_factory=dict)


class _TagsFile(StrictModel):
    families: dict[str, dict[str, Any]] = Field(default_factory=dict)
    tags: list[_TagEntry] = Field(default_factory=list)
    retired: list[str] = Field(default_factory=list)  # tags this set stops defining on purpose


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
    retired: frozenset[str] = frozenset()  # no longer defined on purpose: a reload may drop them
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


def is_definition_name(name: str) -> bool:
    """Whether a file of this name is part of a definition set: ``NAME.yaml`` of letters,
    digits, ``_ . -``, not hidden (``.name``: a deploy in progress) nor ``_name``."""
    return FILE_NAME_RE.fullmatch(name) is not None


def definition_files(directory: Path) -> list[Path]:
    """The YAML files a catalogue is made of (sorted, so loading is deterministic); only regular
    files (reading a FIFO would block forever)."""
    return sorted(p for p in Path(directory).glob("*.yaml") if is_definition_name(p.name) and p.is_file())


@dataclass(frozen=True)
class DefinitionSource:
    """One definitions file: its name and raw bytes, read from a directory or about to be deployed."""

    name: str
    data: bytes


def read_source(path: Path) -> DefinitionSource:
    """One definitions file, read whole but never beyond the size limit."""
    try:
        if not path.is_file():
            raise TagDefinitionError(f"{path.name}: not a regular file")
        with path.open("rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise TagDefinitionError(f"{path.name}: cannot read: {exc}") from None
    return DefinitionSource(path.name, data)


def read_sources(directory: Path) -> list[DefinitionSource]:
    """The definition files of ``directory``."""
    files = definition_files(directory)
    if len(files) > MAX_FILES:
        raise TagDefinitionError(f"{directory}: {len(files)} definition files, more than {MAX_FILES}")
    return [read_source(path) for path in files]


MERGE_TAG = "tag:yaml.org,2002:merge"


class _DefinitionLoader(yaml.SafeLoader):
    """YAML's safe loader minus what a definitions file never needs and a hostile one uses.

    Aliases are refused: their expansion is exponential ("billion laughs") and may be
    cyclic; the ``families`` section is how definitions share parameters. Nesting is
    bounded, so a deep ``[[[[...`` is an error instead of a ``RecursionError``. A key given
    twice in one mapping (a second ``tags:``) is an error instead of silently replacing the first.
    """

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: yaml.Node | None, index: object) -> yaml.Node | None:
        if self.check_event(yaml.AliasEvent):
            mark = self.peek_event().start_mark
            raise yaml.composer.ComposerError(None, None, "aliases (*name) are not allowed here", mark)
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                mark = self.peek_event().start_mark
                raise yaml.composer.ComposerError(None, None, f"nested deeper than {MAX_DEPTH} levels", mark)
            return super().compose_node(parent, index)  # type: ignore[no-any-return]
        finally:
            self._depth -= 1

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.tag != MERGE_TAG:
                key = self.construct_object(key_node)
                if key in seen:
                    raise yaml.constructor.ConstructorError(None, None, f"key {key!r} given twice", key_node.start_mark)
                seen.add(key)
        return super().construct_mapping(node, deep)  # type: ignore[no-any-return]


def _yaml_problem(exc: yaml.YAMLError) -> str:
    """One line: what is wrong and where (PyYAML's own message spans several, quoting the input)."""
    if not isinstance(exc, yaml.MarkedYAMLError):
        return str(exc)
    mark = exc.problem_mark or exc.context_mark
    where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
    context = f"{exc.context}: " if exc.context else ""
    return f"{context}{exc.problem}{where}"


def _parse(source: DefinitionSource, require_seal: bool) -> tuple[_TagsFile, bytes]:
    """The validated file model and the content it was made of (without the seal line)."""
    name = source.name
    if len(source.data) > MAX_FILE_BYTES:
        raise TagDefinitionError(f"{name}: larger than {MAX_FILE_BYTES} bytes")
    unsealed = unseal(source.data)
    if require_seal and unsealed.state != "sealed":
        raise TagDefinitionError(f"{name}: {SEAL_PROBLEMS[unsealed.state]}")
    try:
        text = unsealed.body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise TagDefinitionError(f"{name}: cannot read: not UTF-8 ({exc.reason} at byte {exc.start})") from None
    try:
        raw = yaml.load(text, Loader=_DefinitionLoader) or {}  # a SafeLoader subclass
    except yaml.YAMLError as exc:
        raise TagDefinitionError(f"{name}: cannot read: {_yaml_problem(exc)}") from None
    except Exception as exc:  # a hostile file must be an error, whatever it makes the parser raise
        raise TagDefinitionError(f"{name}: cannot read: {type(exc).__name__}: {exc}") from None
    try:
        return _TagsFile.model_validate(raw), unsealed.body
    except ValidationError as exc:
        raise TagDefinitionError(f"{name}: {_short(exc)}") from None


def build_catalogue(
    sources: list[DefinitionSource], contract: Catalogue | None = None, *, require_seal: bool = False
) -> TagCatalogue:
    """Validate a whole definition set; raises :class:`TagDefinitionError` at the first problem.

    ``require_seal``: every file must carry a matching seal (:mod:`tagging.seal`), as the
    running job demands.
    """
    contract = contract or default_catalogue()
    files = [(source.name, *_parse(source, require_seal)) for source in sources]
    defaults: dict[str, dict[str, Any]] = {}
    for name, parsed, _ in files:
        for family, values in parsed.families.items():
            where = f"{name} families.{family}"
            if family not in FAMILIES:
                raise TagDefinitionError(f"{where}: unknown family {family!r} (known: {', '.join(FAMILIES)})")
            if family in defaults:
                raise TagDefinitionError(f"{where}: defaults given twice")
            _params(family, values, where)
            defaults[family] = values
    tags: dict[str, TagDefinition] = {}
    for name, parsed, _ in files:
        for index, entry in enumerate(parsed.tags):
            where = f"{name} tag {entry.name!r} (tags[{index}])"
            if entry.name in tags:
                raise TagDefinitionError(f"{where}: defined twice (also {tags[entry.name].source})")
            tags[entry.name] = _definition(entry, defaults, contract, where)
    for name, parsed, _ in files:
        for tag in parsed.retired:
            if tag in tags:
                raise TagDefinitionError(f"{name} retired: {tag!r} is retired and still defined ({tags[tag].source})")
    retired = frozenset(tag for _, parsed, _ in files for tag in parsed.retired)
    if not tags:
        names = ", ".join(name for name, _, _ in files) or "none"
        raise TagDefinitionError(f"no tag definitions in {len(files)} file(s) ({names})")
    digest = hashlib.sha1()
    for name, _, body in files:
        digest.update(name.encode() + b"\0" + body + b"\0")
    digest.update(contract.model_dump_json().encode())
    logger.debug("loaded %d tags from %d file(s)", len(tags), len(files))
    return TagCatalogue(tags=tags, contract=contract, retired=retired, fingerprint=digest.hexdigest()[:12])


def load_tag_catalogue(
    directory: Path = DEFINITIONS_DIR, contract: Catalogue | None = None, *, require_seal: bool = False
) -> TagCatalogue:
    """Load every ``*.yaml`` in ``directory`` (see :func:`build_catalogue`)."""
    return build_catalogue(read_sources(directory), contract, require_seal=require_seal)


@cache
def default_tag_catalogue() -> TagCatalogue:
    """The shipped definitions, loaded once per process."""
    return load_tag_catalogue()
