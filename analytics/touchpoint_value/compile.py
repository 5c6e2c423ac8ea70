"""Turn a report request into SQL from ``sql/touchpoints/`` and the values bound to it.

Templates take two kinds of holes. ``$name`` receives a fragment chosen here from a closed set
(a period expression, dimension columns, another template); ``{name:Type}`` is a ClickHouse query
parameter, bound by the warehouse. Nothing a caller types is ever pasted into the text.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from analytics.touchpoint_value.dimensions import DIMENSION_SQL, PERIOD_SQL, DateRange, Dimension, Grain
from analytics.touchpoint_value.parameters import ValueParameters
from core.contract.definitions import default_catalogue
from warehouse.migrations import SQL_DIR
from warehouse.sqltext import placeholder_parts, tokenize

TEMPLATE_DIR = SQL_DIR / "touchpoints"


@dataclass(frozen=True)
class Query:
    """A statement and the values of its ``{name:Type}`` placeholders."""

    sql: str
    params: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def using(cls, sql: str, values: dict[str, Any]) -> Query:
        """Keep the values the statement's placeholders name: the warehouse refuses unused ones."""
        names = {placeholder_parts(token)[0] for token in tokenize(sql) if token.kind == "placeholder"}
        return cls(sql, {name: value for name, value in values.items() if name in names})


@cache
def _template_text(name: str) -> str:
    return (TEMPLATE_DIR / f"{name}.sql").read_text(encoding="utf-8").strip()


_HOLE = re.compile(r"\$(\w+)")


def _render(name: str, **fragments: str) -> str:
    """Fill a template's ``$holes``, indenting a multi-line fragment as its hole's line.

    The generated SQL then reads as nested as it is; a hole without a fragment is a ``KeyError``.
    """
    text = _template_text(name)

    def fill(match: re.Match[str]) -> str:
        fragment = fragments[match.group(1)]
        line_start = text.rfind("\n", 0, match.start()) + 1
        line = text[line_start : match.start()]
        indent = line[: len(line) - len(line.lstrip())]
        return fragment.replace("\n", "\n" + indent)

    return _HOLE.sub(fill, text)


def _period_between(low: str, high: str) -> str:
    """Events in [low, high) ms; the DateTime bounds let the engine skip whole partitions."""
    return (
        f"ts >= toDateTime(intDiv({{{low}:UInt64}}, 1000)) AND ts <= toDateTime(intDiv({{{high}:UInt64}}, 1000))"
        f" AND ts_ms >= {{{low}:UInt64}} AND ts_ms < {{{high}:UInt64}}"
    )


def _campaign_filter(campaigns: Sequence[str] | None) -> str:
    return "1" if campaigns is None else "has({campaigns:Array(String)}, campaign)"


def _dimension_fragments(dims: Sequence[Dimension]) -> dict[str, str]:
    return {
        "dimensions": "".join(f"\n{DIMENSION_SQL[d]} AS {d}," for d in dims),
        "dimension_names": "".join(f"\n{d}," for d in dims),
        "group_dimensions": "".join(f", {d}" for d in dims),
    }


def _common_params(period_range: DateRange, params: ValueParameters, campaigns: Sequence[str] | None) -> dict[str, Any]:
    """Range bounds, the campaign mapping and the slot kinds, as bound values.

    The mapping arrays start with an entry for campaign '' selling '' (unmapped), so they are never
    empty (an empty literal has no element type on ClickHouse 18.16) and change no lookup.
    """
    mapping = sorted(params.campaigns.items())
    slots = sorted(default_catalogue().slots.items())
    bound: dict[str, Any] = {
        "start_ms": period_range.start_ms,
        "end_ms": period_range.end_ms,
        "map_campaigns": ["", *(c for c, _ in mapping)],
        "map_businesses": ["", *(t.business for _, t in mapping)],
        "map_products": ["", *(t.product or "" for _, t in mapping)],
        "slot_names": [name for name, _ in slots],
        "slot_kinds": [slot.kind for _, slot in slots],
    }
    if campaigns is not None:
        bound["campaigns"] = list(campaigns)
    return bound


def _touches(period_range: DateRange, params: ValueParameters) -> tuple[str, dict[str, Any]]:
    widen = params.attribution.longest_ms
    sql = _render("touches", touch_period=_period_between("touch_from_ms", "touch_to_ms"))
    return sql, {"touch_from_ms": max(0, period_range.start_ms - widen), "touch_to_ms": period_range.end_ms + widen}


def results_query(
    period_range: DateRange,
    grain: Grain,
    dims: Sequence[Dimension],
    params: ValueParameters,
    campaigns: Sequence[str] | None = None,
) -> Query:
    """Exposures, reach, clicks, attributed conversions and service transactions per period and dims."""
    touches, bound = _touches(period_range, params)
    outcomes = _render("outcomes", outcome_period=_period_between("start_ms", "outcome_to_ms"))
    attributed = _render("attributed", outcomes=outcomes, touches=touches)
    sql = _render(
        "results",
        period=PERIOD_SQL[grain],
        touches=touches,
        attributed=attributed,
        campaign_filter=_campaign_filter(campaigns),
        **_dimension_fragments(dims),
    )
    bound |= _common_params(period_range, params, campaigns)
    bound |= {
        "outcome_to_ms": period_range.end_ms + max(params.attribution.longest_ms, params.service.window_ms),
        "click_window_ms": params.attribution.click_window_ms,
        "exposure_window_ms": params.attribution.exposure_window_ms,
        "service_window_ms": params.service.window_ms,
        "service_keys": ["", *params.service.keys()],
    }
    return Query.using(sql, bound)


def click_shares_query(period_range: DateRange, grain: Grain, params: ValueParameters) -> Query:
    """Clicks per period, channel, slot and campaign over all touchpoints: the cost allocation key."""
    touches, bound = _touches(period_range, params)
    sql = _render("click_shares", period=PERIOD_SQL[grain], touches=touches)
    return Query.using(sql, bound | _common_params(period_range, params, None))


def lift_query(
    period_range: DateRange,
    grain: Grain,
    dims: Sequence[Dimension],
    params: ValueParameters,
    campaigns: Sequence[str] | None = None,
) -> Query:
    """Treated and control users and their conversions per period, dims and campaign."""
    sql = _render(
        "lift",
        period=PERIOD_SQL[grain],
        decision_period=_period_between("start_ms", "end_ms"),
        order_period=_period_between("start_ms", "order_to_ms"),
        campaign_filter=_campaign_filter(campaigns),
        **_dimension_fragments(dims),
    )
    bound = _common_params(period_range, params, campaigns)
    bound |= {"order_to_ms": period_range.end_ms + params.lift.window_ms, "lift_window_ms": params.lift.window_ms}
    return Query.using(sql, bound)
