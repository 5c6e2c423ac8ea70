"""What a decision knows about a user: active tags and typed profile fields.

Built from the raw Redis hashes the stream job writes (docs/tags.md): expired tags are
dropped against the server clock, business state is decoded, and a few fields are derived
so that audiences read naturally (``broadband_days_left``, ``minutes_since_topup``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import orjson

from core.clock import MINUTE_MS

ValueType = Literal["bool", "number", "string", "list"]

# Business state fields as stored (tagging/state.py BusinessState) and their types.
STORED_FIELDS: dict[str, ValueType] = {
    "used_pct": "number",
    "balance": "number",
    "arrears": "bool",
    "arrears_amount": "number",
    "last_topup_amount": "number",
    "unsubscribed": "list",
}
DERIVED_FIELDS: dict[str, ValueType] = {
    "broadband_days_left": "number",  # broadband_expires_on minus today (service time zone); negative: expired
    "days_since_active": "number",  # today minus last_active_day
}


def minutes_since_field(event: str) -> str:
    return f"minutes_since_{event}"


def field_types(fact_events: Iterable[str]) -> dict[str, ValueType]:
    """Every field an audience may name: stored, derived, and ``minutes_since_<fact event>``."""
    types = {**STORED_FIELDS, **DERIVED_FIELDS}
    types.update({minutes_since_field(e): "number" for e in sorted(fact_events)})
    return types


@dataclass(frozen=True, slots=True)
class Facts:
    tags: frozenset[str] = frozenset()
    values: Mapping[str, Any] = field(default_factory=dict)
    last_at: Mapping[str, int] = field(default_factory=dict)  # fact event -> its latest time (ms)


EMPTY = Facts()


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def active_tags(raw_tags: Mapping[Any, Any], now_ms: int) -> frozenset[str]:
    """Tags whose expiry (``"<set_at>:<expires_at or empty>"``) has not passed."""
    active = []
    for tag, value in raw_tags.items():
        expires = _text(value).partition(":")[2]
        if not expires or int(expires) > now_ms:
            active.append(_text(tag))
    return frozenset(active)


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _days_between(later: str, earlier: dt.date) -> float | None:
    try:
        return float((dt.date.fromisoformat(later) - earlier).days)
    except (TypeError, ValueError):
        return None


def build_facts(raw_tags: Mapping[Any, Any], raw_state: Mapping[Any, Any], now_ms: int, today: dt.date) -> Facts:
    """Facts from the ``tags`` and ``state`` hashes; ``today`` is the service time zone's date."""
    state: dict[str, Any] = {}
    for key, value in raw_state.items():
        name = _text(key)
        if name != "_v":
            try:
                state[name] = orjson.loads(value)
            except orjson.JSONDecodeError:
                continue  # a field we cannot read is a field the user does not have
    values: dict[str, Any] = {}
    for name, kind in STORED_FIELDS.items():
        value = state.get(name)
        if kind == "number":
            values[name] = _number(value)
        elif kind == "bool":
            values[name] = bool(value) if isinstance(value, bool) else None
        elif kind == "list":
            values[name] = [str(v) for v in value] if isinstance(value, list) else []
    expires_on = state.get("broadband_expires_on")
    values["broadband_days_left"] = _days_between(expires_on, today) if expires_on else None
    last_active = state.get("last_active_day")
    days_since = _days_between(today.isoformat(), dt.date.fromisoformat(last_active)) if _is_date(last_active) else None
    values["days_since_active"] = days_since
    raw_last = state.get("last_at")
    last_at = (
        {str(k): int(v) for k, v in raw_last.items() if _number(v) is not None} if isinstance(raw_last, dict) else {}
    )
    for event, at in last_at.items():
        values[minutes_since_field(event)] = max(0.0, (now_ms - at) / MINUTE_MS)
    return Facts(tags=active_tags(raw_tags, now_ms), values=values, last_at=last_at)


def _is_date(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        return False
    return True


def today_in(zone: dt.tzinfo, now_ms: int) -> dt.date:
    return dt.datetime.fromtimestamp(now_ms / 1000, zone).date()
