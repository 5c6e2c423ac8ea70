"""The behaviour-metric catalogue as data, validated at load.

Definitions live in ``analytics/definitions/metrics/``: ``sources.yaml`` names the
dimensions and the sources a metric may aggregate over (a table, or a subquery in
``sql/metrics/sources/``), and one file per family lists its metrics (and templates that
expand per flow and step of ``core/contract/flows.yaml``). Every metric has one of two
fixed shapes, so no definition can smuggle arbitrary SQL structure into a query:

- an aggregate: ``value`` (an aggregate expression) over ``source`` with a ``where``;
- a formula over two other metrics: ``ratio: [a, b]`` (times ``scale``) or ``difference``.

A typo (unknown source, dimension or operand, a duplicate name, a placeholder without a
value, an argument nothing uses, a cycle of formulas) fails at load, never at query time.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any, Literal, get_args

import yaml
from pydantic import Field, field_validator, model_validator

from core.contract.definitions import Catalogue, default_catalogue
from core.models import StrictModel

HERE = Path(__file__).resolve().parent
DEFINITIONS_DIR = HERE.parent / "definitions" / "metrics"
SOURCES_FILE = "sources.yaml"
SQL_DIR = HERE.parent.parent / "sql" / "metrics"
SOURCE_SQL_DIR = SQL_DIR / "sources"

Family = Literal[
    "traffic",
    "engagement",
    "flows",
    "orders",
    "touchpoints",
    "sharing",
    "retention",
    "tags",
    "business",
    "data_quality",
]
Unit = Literal[
    "events", "users", "sessions", "orders", "runs", "user_days", "yuan", "percent", "ratio", "seconds", "days"
]
ADDITIVE_UNITS: frozenset[str] = frozenset({"events", "users", "sessions", "orders", "runs", "user_days", "yuan"})
"""Counts and sums: a period without rows is 0. Other units (averages, rates) are then undefined."""

NAME_PATTERN = r"^[a-z][a-z0-9_]*$"
PLACEHOLDER = re.compile(r"\{(\w+):([^{}]+)\}")
"""ClickHouse query-parameter syntax ``{name:Type}``: the value is bound, never pasted."""

ARG_TYPES: frozenset[str] = frozenset({"String", "UInt16"})
GLOBAL_PARAMS: dict[str, str] = {
    "from": "Date",
    "to": "Date",
    "client_events": "Array(String)",
    "backend_events": "Array(String)",
    "slot_names": "Array(String)",
    "slot_kinds": "Array(String)",
    "flow_names": "Array(String)",
    "flow_last_steps": "Array(String)",
}
"""Parameters every query may use: the date range and lists taken from the event contract."""


def placeholders(sql: str) -> list[tuple[str, str]]:
    """The ``(name, type)`` pairs of the query parameters in ``sql``."""
    return PLACEHOLDER.findall(sql)


def _check_fragment(text: str, what: str) -> str:
    """SQL fragments from definitions: one expression, no statement separator or template marker."""
    if ";" in text or "$" in text:
        raise ValueError(f"{what}: ';' and '$' are not allowed in a metric SQL fragment")
    return text


class Dimension(StrictModel):
    """A column a series can be split by; ``expression`` is evaluated on the source's rows."""

    description: str
    expression: str

    @field_validator("expression")
    @classmethod
    def _fragment(cls, value: str) -> str:
        return _check_fragment(value, "dimension expression")


class Source(StrictModel):
    """What a metric aggregates over: a table or view, or a subquery file in sql/metrics/sources/."""

    description: str
    table: str | None = Field(default=None, pattern=NAME_PATTERN)
    query: str | None = Field(default=None, pattern=NAME_PATTERN)
    day: str
    dimensions: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _one_kind(self) -> Source:
        if (self.table is None) == (self.query is None):
            raise ValueError("a source has exactly one of `table` or `query`")
        _check_fragment(self.day, "source day")
        if self.query is not None:
            if not (SOURCE_SQL_DIR / f"{self.query}.sql").is_file():
                raise ValueError(f"source query sql/metrics/sources/{self.query}.sql does not exist")
            if ";" in _source_sql(self.query):
                raise ValueError(f"sql/metrics/sources/{self.query}.sql: a read-only statement has no ';'")
        return self

    def from_clause(self) -> str:
        """The FROM target: the table name, or the subquery in parentheses."""
        if self.table is not None:
            return self.table
        return "(\n" + _source_sql(self.query or "").strip().rstrip(";") + "\n)"


@cache
def _source_sql(name: str) -> str:
    return (SOURCE_SQL_DIR / f"{name}.sql").read_text(encoding="utf-8")


class Metric(StrictModel):
    """One behaviour metric: an aggregate over a source, or a formula over two metrics."""

    name: str = Field(pattern=NAME_PATTERN, max_length=80)
    family: Family
    description: str = Field(min_length=1)
    unit: Unit
    dimensions: list[str] = Field(default_factory=list)
    source: str | None = None
    value: str | None = None
    where: str = "1"
    args: dict[str, str | int] = Field(default_factory=dict)
    ratio: tuple[str, str] | None = None
    difference: tuple[str, str] | None = None
    scale: float = 1.0
    additive: bool | None = None
    """A count or sum (a period without rows is 0); default: by unit. Medians and maxima in yuan are not."""

    @model_validator(mode="after")
    def _one_shape(self) -> Metric:
        shapes = [self.value is not None, self.ratio is not None, self.difference is not None]
        if sum(shapes) != 1:
            raise ValueError(f"metric {self.name!r}: give exactly one of `value`, `ratio`, `difference`")
        if self.value is not None:
            if self.source is None:
                raise ValueError(f"metric {self.name!r}: an aggregate `value` needs a `source`")
            _check_fragment(self.value, f"metric {self.name!r} value")
            _check_fragment(self.where, f"metric {self.name!r} where")
        elif self.source is not None or self.args or self.where != "1":
            raise ValueError(f"metric {self.name!r}: a formula takes no `source`, `where` or `args`")
        if len(set(self.dimensions)) != len(self.dimensions):
            raise ValueError(f"metric {self.name!r}: a dimension is listed twice")
        return self

    @property
    def is_aggregate(self) -> bool:
        return self.value is not None

    @property
    def operands(self) -> tuple[str, ...]:
        return self.ratio or self.difference or ()

    @property
    def zero_when_empty(self) -> bool:
        """A period without rows counts as 0 (counts and sums), not as missing."""
        if not self.is_aggregate:
            return False
        return self.unit in ADDITIVE_UNITS if self.additive is None else self.additive

    def matches(self, text: str) -> bool:
        """Case-insensitive search over name, family and description (the UI's search box)."""
        needle = text.strip().lower()
        return not needle or any(needle in s.lower() for s in (self.name, self.family, self.description))


class FamilyInfo(StrictModel):
    title: str
    description: str


class MetricCatalogue(StrictModel):
    families: dict[str, FamilyInfo]
    """Each family's title and description, in the issue's order (for grouping in the UI)."""
    dimensions: dict[str, Dimension]
    sources: dict[str, Source]
    metrics: dict[str, Metric]

    @model_validator(mode="after")
    def _cross_check(self) -> MetricCatalogue:
        for name, source in self.sources.items():
            unknown = set(source.dimensions) - self.dimensions.keys()
            if unknown:
                raise ValueError(f"source {name!r}: unknown dimension(s) {sorted(unknown)}")
        for metric in self.metrics.values():
            self._check_metric(metric)
        for metric in self.metrics.values():
            self._check_acyclic(metric.name, ())
        return self

    def _check_metric(self, metric: Metric) -> None:
        unknown = set(metric.dimensions) - self.dimensions.keys()
        if unknown:
            raise ValueError(f"metric {metric.name!r}: unknown dimension(s) {sorted(unknown)}")
        if metric.is_aggregate:
            source = self.sources.get(metric.source or "")
            if source is None:
                raise ValueError(f"metric {metric.name!r}: unknown source {metric.source!r}")
            foreign = set(metric.dimensions) - set(source.dimensions)
            if foreign:
                raise ValueError(f"metric {metric.name!r}: source {metric.source!r} has no dimension {sorted(foreign)}")
            self._check_placeholders(metric, source)
            return
        for operand in metric.operands:
            other = self.metrics.get(operand)
            if other is None:
                raise ValueError(f"metric {metric.name!r}: unknown operand {operand!r}")
            missing = set(metric.dimensions) - set(other.dimensions)
            if missing:
                raise ValueError(f"metric {metric.name!r}: operand {operand!r} has no dimension {sorted(missing)}")

    def _check_placeholders(self, metric: Metric, source: Source) -> None:
        texts = [metric.value or "", metric.where, source.day, source.from_clause()]
        texts += [self.dimensions[d].expression for d in metric.dimensions]
        used: dict[str, str] = {}
        for text in texts:
            for name, type_ in placeholders(text):
                if used.setdefault(name, type_) != type_:
                    raise ValueError(f"metric {metric.name!r}: placeholder {name!r} used with two types")
        for name, type_ in used.items():
            if name in GLOBAL_PARAMS:
                if GLOBAL_PARAMS[name] != type_:
                    raise ValueError(f"metric {metric.name!r}: {{{name}:{type_}}} must be {GLOBAL_PARAMS[name]}")
            elif name not in metric.args:
                raise ValueError(f"metric {metric.name!r}: placeholder {{{name}:{type_}}} has no value in `args`")
            elif type_ not in ARG_TYPES:
                raise ValueError(f"metric {metric.name!r}: argument type {type_} is not one of {sorted(ARG_TYPES)}")
            elif type_ == "UInt16" and not str(metric.args[name]).isdigit():
                raise ValueError(f"metric {metric.name!r}: argument {name!r} must be a whole number")
        unused = set(metric.args) - used.keys()
        if unused:
            raise ValueError(f"metric {metric.name!r}: argument(s) {sorted(unused)} appear in no placeholder")

    def _check_acyclic(self, name: str, path: tuple[str, ...]) -> None:
        if name in path:
            raise ValueError(f"metric formulas form a cycle: {' -> '.join((*path, name))}")
        for operand in self.metrics[name].operands:
            self._check_acyclic(operand, (*path, name))

    def get(self, name: str) -> Metric:
        return self.metrics[name]

    def by_family(self, family: str) -> list[Metric]:
        return [m for m in self.metrics.values() if m.family == family]


class FamilyFile(StrictModel):
    """One family's definition file."""

    family: Family
    title: str
    description: str
    metrics: list[dict[str, Any]] = Field(default_factory=list)
    generate: list[dict[str, Any]] = Field(default_factory=list)


class SourcesFile(StrictModel):
    dimensions: dict[str, Dimension]
    sources: dict[str, Source]


def index_metrics(entries: Iterable[dict[str, Any]]) -> dict[str, Metric]:
    """Validate metric entries and index them by name; a name given twice is an error."""
    metrics: dict[str, Metric] = {}
    for entry in entries:
        metric = Metric.model_validate(entry)
        if metric.name in metrics:
            raise ValueError(f"metric {metric.name!r} is defined twice")
        metrics[metric.name] = metric
    return metrics


def read_family_files(directory: Path = DEFINITIONS_DIR) -> list[FamilyFile]:
    """The family files, in the order of :data:`Family` (the issue's order)."""
    files = [p for p in sorted(directory.glob("*.yaml")) if p.name != SOURCES_FILE]
    families = [FamilyFile.model_validate(yaml.safe_load(p.read_text(encoding="utf-8"))) for p in files]
    order = get_args(Family)
    return sorted(families, key=lambda f: order.index(f.family))


def load_metric_catalogue(directory: Path = DEFINITIONS_DIR, contract: Catalogue | None = None) -> MetricCatalogue:
    """Load, expand (per flow and step) and validate the catalogue; raises ``ValueError``."""
    from analytics.metrics.generate import expand_templates

    contract = contract or default_catalogue()
    sources = SourcesFile.model_validate(yaml.safe_load((directory / SOURCES_FILE).read_text(encoding="utf-8")))
    entries: list[dict[str, Any]] = []
    families = read_family_files(directory)
    for family in families:
        entries += [{**entry, "family": family.family} for entry in family.metrics]
        entries += [{**entry, "family": family.family} for entry in expand_templates(family.generate, contract)]
    return MetricCatalogue(
        families={f.family: FamilyInfo(title=f.title, description=f.description) for f in families},
        dimensions=sources.dimensions,
        sources=sources.sources,
        metrics=index_metrics(entries),
    )


@cache
def default_metric_catalogue() -> MetricCatalogue:
    """The shipped catalogue, loaded once per process."""
    return load_metric_catalogue()
