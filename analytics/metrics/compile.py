"""Compile an aggregate metric into one read query with bound parameters.

The statement is ``sql/metrics/series.sql`` with its ``$slots`` filled from the catalogue
only (the metric's value and where, its source, the period and dimension expressions);
everything else (the date range, the metric's arguments, lists from the event contract)
travels as ``{name:Type}`` parameters, so nothing from a request is ever part of the text.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import cache
from string import Template
from typing import Any, Literal

from analytics.metrics.definitions import SQL_DIR, Metric, MetricCatalogue, placeholders
from core.contract.definitions import Catalogue

Grain = Literal["day", "week", "month"]
GRAINS: tuple[Grain, ...] = ("day", "week", "month")
Period = Literal["day", "week", "month", "range"]
"""``range`` makes the whole date range one period (totals for a comparison)."""

PERIOD_EXPRESSIONS: dict[str, str] = {
    "day": "$day",
    "week": "toMonday($day)",
    "month": "toStartOfMonth($day)",
    "range": "toDate({from:Date})",
}
NO_DIMENSION = "''"


@dataclass(frozen=True)
class CompiledQuery:
    sql: str
    params: dict[str, Any] = field(default_factory=dict)


@cache
def _series_template() -> Template:
    return Template((SQL_DIR / "series.sql").read_text(encoding="utf-8"))


def contract_params(contract: Catalogue) -> dict[str, Any]:
    """The lists from the event contract that sources and dimensions may use."""
    return {
        "client_events": [name for name, spec in contract.events.items() if spec.source == "client"],
        "backend_events": [name for name, spec in contract.events.items() if spec.source == "backend"],
        "slot_names": list(contract.slots),
        "slot_kinds": [slot.kind for slot in contract.slots.values()],
        "flow_names": list(contract.flows),
        "flow_last_steps": [str(flow.last_step) for flow in contract.flows.values()],
    }


def _typed(value: Any, type_: str) -> Any:
    if type_ == "UInt16":
        return int(value)
    if type_ == "String":
        return str(value)
    return value


def compile_aggregate(
    catalogue: MetricCatalogue,
    metric: Metric,
    period: Period,
    dimension: str | None,
    start: dt.date,
    end: dt.date,
    contract: Catalogue,
) -> CompiledQuery:
    """The series query of an aggregate metric; ``dimension`` must be one the metric allows."""
    if not metric.is_aggregate:
        raise ValueError(f"metric {metric.name!r} is a formula: compile its operands")
    if dimension is not None and dimension not in metric.dimensions:
        raise ValueError(f"metric {metric.name!r} cannot be split by {dimension!r}")
    source = catalogue.sources[metric.source or ""]
    day = source.day
    sql = _series_template().substitute(
        period=Template(PERIOD_EXPRESSIONS[period]).substitute(day=day),
        dimension=catalogue.dimensions[dimension].expression if dimension else NO_DIMENSION,
        value=metric.value,
        source=source.from_clause(),
        day=day,
        where=metric.where,
    )
    available = {"from": start, "to": end, **contract_params(contract), **metric.args}
    params = {name: _typed(available[name], type_) for name, type_ in placeholders(sql)}
    return CompiledQuery(sql=sql, params=params)
