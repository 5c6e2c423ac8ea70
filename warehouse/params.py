"""Query parameters in ClickHouse's ``{name:Type}`` placeholder syntax, on every engine.

chDB binds parameters itself (the value never becomes SQL text) but wants each value in
ClickHouse's text form; ClickHouse 18.16 has no server-side parameters, so there each
placeholder is replaced by a typed literal built with clickhouse-driver's own escaping.
Both paths first check the values here, so a missing, unused, mistyped or out-of-range
value is refused the same way on both engines (chDB would silently wrap 300 into a
``UInt8``), with a message naming the placeholder.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from clickhouse_driver.util.escape import escape_chars_map, escape_param

from warehouse.base import BadParameters
from warehouse.sqltext import Token, placeholder_parts, tokenize

Params = Mapping[str, object]

_INT_RANGES = {
    f"{prefix}Int{bits}": (0, 2**bits - 1) if prefix else (-(2 ** (bits - 1)), 2 ** (bits - 1) - 1)
    for prefix in ("", "U")
    for bits in (8, 16, 32, 64)
}
_DATE_RANGE = (dt.date(1970, 1, 1), dt.date(2105, 12, 31))  # what 18.16 and 26.x Date both hold
_DATETIME_MAX = 2**32 - 1
_DATETIME = re.compile(r"DateTime(?:\('([A-Za-z0-9_/+-]+)'\))?")
_WRAPPER = re.compile(r"(Array|Nullable)\((.+)\)")
_MAX_NESTING = 8
SUPPORTED_TYPES = "String, Int8..Int64, UInt8..UInt64, Float32, Float64, Date, DateTime, Array(T), Nullable(T)"


@dataclass(frozen=True)
class ParamType:
    """A placeholder's type: a scalar, or ``Array``/``Nullable`` of another type."""

    text: str
    kind: str  # String, Int8 ... UInt64, Float32, Float64, Date, DateTime, Array, Nullable
    inner: ParamType | None = None
    timezone: str | None = None  # DateTime('tz')


def parse_type(text: str, depth: int = 0) -> ParamType:
    if wrapper := _WRAPPER.fullmatch(text):
        if depth >= _MAX_NESTING:
            raise BadParameters(f"placeholder type {text[:60]}… nests deeper than {_MAX_NESTING} levels")
        return ParamType(text, wrapper.group(1), parse_type(wrapper.group(2), depth + 1))
    if stamp := _DATETIME.fullmatch(text):
        return ParamType(text, "DateTime", timezone=stamp.group(1))
    if text in _INT_RANGES or text in ("String", "Float32", "Float64", "Date"):
        return ParamType(text, text)
    raise BadParameters(f"placeholder type {text} is not supported; use {SUPPORTED_TYPES}")


@dataclass(frozen=True)
class BoundValue:
    """A placeholder with its checked value (Date -> date, DateTime -> epoch seconds)."""

    token: Token
    name: str
    type: ParamType
    value: Any


def bind(sql: str, params: Params | None) -> list[BoundValue]:
    """Match every placeholder with its value; refuse missing and unused parameters."""
    params = params or {}
    bound: list[BoundValue] = []
    types: dict[str, str] = {}
    for token in tokenize(sql):
        if token.kind != "placeholder":
            continue
        name, type_text = placeholder_parts(token)
        if types.setdefault(name, type_text) != type_text:
            raise BadParameters(f"placeholder {name} is declared as both {types[name]} and {type_text}")
        if name not in params:
            raise BadParameters(f"placeholder {token.text} has no value: pass params={{{name!r}: ...}}")
        ptype = parse_type(type_text)
        bound.append(BoundValue(token, name, ptype, _check(params[name], ptype, name)))
    unused = sorted(set(params) - set(types))
    if unused:
        raise BadParameters(f"parameters not used by the statement: {', '.join(unused)}")
    return bound


def bind_literals(sql: str, params: Params | None) -> str:
    """The statement with each placeholder replaced by a typed, escaped literal (for 18.16)."""
    pieces, last = [], 0
    for item in bind(sql, params):
        pieces += [sql[last : item.token.start], _literal(item.value, item.type)]
        last = item.token.end
    return "".join([*pieces, sql[last:]])


def engine_params(sql: str, params: Params | None) -> dict[str, str] | None:
    """Checked values in the text form chDB parses parameters from (``None`` if there are none)."""
    values = {item.name: _engine_text(item.value, item.type) for item in bind(sql, params)}
    return values or None


def _check(value: object, ptype: ParamType, name: str) -> Any:
    def refuse(expected: str) -> BadParameters:
        shown = repr(value) if len(repr(value)) <= 60 else repr(value)[:57] + "..."
        return BadParameters(f"parameter {name} ({ptype.text}): {shown} is not {expected}")

    if ptype.kind == "Nullable":
        assert ptype.inner is not None
        return None if value is None else _check(value, ptype.inner, name)
    if ptype.kind == "Array":
        assert ptype.inner is not None
        if not isinstance(value, list | tuple):
            raise refuse("a list")
        return [_check(item, ptype.inner, name) for item in value]
    checker = _SCALAR_CHECKS.get(ptype.kind) or _int_check(ptype.kind)
    checked = checker(value)
    if checked is None:
        raise refuse(_EXPECTED.get(ptype.kind, f"an integer in {_INT_RANGES.get(ptype.kind)}"))
    return checked


def _int_check(kind: str) -> Callable[[object], int | None]:
    low, high = _INT_RANGES[kind]
    return lambda v: v if isinstance(v, int) and not isinstance(v, bool) and low <= v <= high else None


def _float(value: object) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    return None


def _date(value: object) -> dt.date | None:
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value)
        except ValueError:
            return None
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime) and _DATE_RANGE[0] <= value <= _DATE_RANGE[1]:
        return value
    return None


def _epoch(value: object) -> int | None:
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            return None
    if isinstance(value, dt.datetime):
        value = int((value if value.tzinfo else value.replace(tzinfo=dt.UTC)).timestamp())
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= _DATETIME_MAX:
        return value
    return None


_SCALAR_CHECKS: dict[str, Callable[[object], Any]] = {
    "String": lambda v: v if isinstance(v, str) else None,
    "Float32": _float,
    "Float64": _float,
    "Date": _date,
    "DateTime": _epoch,
}
_EXPECTED = {
    "String": "a string",
    "Float32": "a finite number",
    "Float64": "a finite number",
    "Date": "a date (YYYY-MM-DD, 1970-01-01..2105-12-31)",
    "DateTime": "a time (ISO 8601, or epoch seconds, 1970..2106)",
}


def _plain(value: Any, ptype: ParamType) -> Any:
    """A checked value as clickhouse-driver's escaper takes it (dates as ISO text)."""
    if isinstance(value, list):
        assert ptype.inner is not None
        return [_plain(item, ptype.inner) for item in value]
    return value.isoformat() if isinstance(value, dt.date) else value


def _literal(value: Any, ptype: ParamType) -> str:
    if value is None:
        return f"CAST(NULL AS {ptype.text})"
    if ptype.kind == "Nullable":
        assert ptype.inner is not None
        return _literal(value, ptype.inner)
    if ptype.kind == "Array":
        return f"CAST({escape_param(_plain(value, ptype), None)} AS {ptype.text})"
    if ptype.kind == "Date":
        return f"toDate({escape_param(value, None)})"
    if ptype.kind == "DateTime":
        zone = f", {escape_param(ptype.timezone, None)}" if ptype.timezone else ""
        return f"toDateTime({value}{zone})"
    if ptype.kind == "String":
        return str(escape_param(value, None))
    number = repr(value)
    return f"({number})" if number.startswith("-") else number  # `x-{n}` must not become `x--1`


def _engine_text(value: Any, ptype: ParamType) -> str:
    if value is None:
        return "\\N"
    if ptype.kind == "Nullable":
        assert ptype.inner is not None
        return _engine_text(value, ptype.inner)
    if ptype.kind == "Array":
        return str(escape_param(_plain(value, ptype), None))
    if ptype.kind == "String":
        return "".join(escape_chars_map.get(char, char) for char in value)
    return value.isoformat() if isinstance(value, dt.date) else repr(value)
