"""Turn a :class:`FunnelSpec` into SQL text plus bound parameters.

The SQL text depends only on the funnel's shape (number of steps and exclusions, which
columns the filters touch, the mode); every event name, property key and value, date and
the window are parameters. So two funnels of the same shape share their SQL, and the
snapshot tests (tests/analytics/snapshots/) pin each shape.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from analytics.funnels.spec import EVENT_COLUMNS, FunnelSpec, StepFilter
from analytics.templates import render_sql

STRING_PROP_COLUMNS = ("business", "flow", "product", "campaign", "slot", "ref_share_id")
"""Props the events table also holds as MATERIALIZED String columns (sql/schema/0001_events.sql)."""

UINT16_MAX = 65_535


@dataclass(frozen=True)
class CompiledQuery:
    sql: str
    params: dict[str, object] = field(default_factory=dict)


class _Params:
    """Collects bound parameters and hands out their placeholders."""

    def __init__(self) -> None:
        self.values: dict[str, object] = {}

    def bind(self, name: str, sql_type: str, value: object) -> str:
        self.values[name] = value
        return f"{{{name}:{sql_type}}}"


def _condition(step: StepFilter, prefix: str, params: _Params) -> str:
    parts = [f"event = {params.bind(f'{prefix}_event', 'String', step.event)}"]
    for index, (key, value) in enumerate(step.where.items()):
        name = f"{prefix}_v{index}"
        if key in EVENT_COLUMNS or key in STRING_PROP_COLUMNS:
            column = next(c for c in (*EVENT_COLUMNS, *STRING_PROP_COLUMNS) if c == key)  # our name, not theirs
            parts.append(f"{column} = {params.bind(name, 'String', value)}")
        elif key == "step" and value.isdigit() and int(value) <= UINT16_MAX:
            parts.append(f"step = {params.bind(name, 'UInt16', int(value))}")
        else:
            key_param = params.bind(f"{prefix}_k{index}", "String", key)
            parts.append(f"prop_values[indexOf(prop_keys, {key_param})] = {params.bind(name, 'String', value)}")
    return "(" + " AND ".join(parts) + ")"


def _breakdown(spec: FunnelSpec, params: _Params) -> str:
    key = spec.breakdown
    if key is None:
        return "''"
    for column in (*EVENT_COLUMNS, *STRING_PROP_COLUMNS):
        if column == key:
            return column
    return f"prop_values[indexOf(prop_keys, {params.bind('breakdown_key', 'String', key)})]"


def _range_filter(spec: FunnelSpec, params: _Params) -> str:
    parts = []
    if spec.date_from is not None:
        parts.append(f"ts >= toDateTime({params.bind('ts_from', 'UInt32', _epoch(spec.date_from))})")
    if spec.date_to is not None:
        end = spec.date_to + dt.timedelta(days=1)
        parts.append(f"ts < toDateTime({params.bind('ts_to', 'UInt32', _epoch(end))})")
    return " AND ".join(parts) or "1"


def _epoch(day: dt.date) -> int:
    return int(dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC).timestamp())


def _context(spec: FunnelSpec, params: _Params) -> dict[str, object]:
    conditions = [_condition(step, f"s{i}", params) for i, step in enumerate(spec.steps)]
    exclusions = []
    exclusion_conditions = []
    for i, exclusion in enumerate(spec.exclusions):
        exclusion_conditions.append(_condition(exclusion.as_filter(), f"x{i}", params))
        low, high = spec.exclusion_range(exclusion)
        exclusions.append({"low": low, "high": high})
    params.bind("window_s", "UInt64", spec.window_seconds)
    return {
        "steps": list(range(len(spec.steps))),
        "last": len(spec.steps) - 1,
        "strict": spec.mode == "strict",
        "conditions": conditions,
        "exclusion_conditions": exclusion_conditions,
        "exclusions": exclusions,
        "breakdown": _breakdown(spec, params),
        "has_breakdown": spec.breakdown is not None,
        "range_filter": _range_filter(spec, params),
    }


def funnel_query(spec: FunnelSpec) -> CompiledQuery:
    """Users per step and time-to-convert quantiles, per breakdown value and in total."""
    params = _Params()
    context = _context(spec, params)
    sql = render_sql("funnels/funnel.sql.j2", **context)
    return CompiledQuery(sql, params.values)


def drop_off_query(
    spec: FunnelSpec, step_index: int, breakdown_value: str | None = None, limit: int | None = None
) -> CompiledQuery:
    """The users who reached ``step_index - 1`` but not ``step_index``."""
    if not 1 <= step_index < len(spec.steps):
        raise ValueError(f"step_index must be between 1 and {len(spec.steps) - 1}")
    params = _Params()
    context = _context(spec, params)
    if breakdown_value is not None:
        params.bind("breakdown_value", "String", breakdown_value)
    if limit is not None:
        params.bind("limit", "UInt64", limit)
    sql = render_sql(
        "funnels/drop_off_users.sql.j2",
        reached=step_index - 1,
        by_value=breakdown_value is not None,
        limited=limit is not None,
        **context,
    )
    return CompiledQuery(sql, params.values)


def time_to_convert_query(spec: FunnelSpec, step_index: int, bins: int) -> CompiledQuery:
    """A histogram of seconds from ``step_index - 1`` to ``step_index`` in ``bins`` equal bins."""
    if not 1 <= step_index < len(spec.steps):
        raise ValueError(f"step_index must be between 1 and {len(spec.steps) - 1}")
    params = _Params()
    context = _context(spec, params)
    params.bind("bin_ms", "UInt64", max(1, spec.window_seconds * 1000 // bins))
    sql = render_sql("funnels/time_to_convert.sql.j2", step=step_index, bins=bins, **context)
    return CompiledQuery(sql, params.values)
