"""Check one incoming event against the catalogue and normalise it.

Hot path of the collector: plain Python over precompiled specs, no per-event model
construction. Every rejection carries a reason a client developer can act on.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from core.clock import DAY_MS, MINUTE_MS
from core.contract.definitions import Catalogue, PropSpec

ENVELOPE_FIELDS = frozenset({"event_id", "user_id", "channel", "event", "ts", "session_id", "page", "props"})
MAX_ID_CHARS = 64
MAX_PAGE_CHARS = 1024


class EventRejected(ValueError):
    """The event breaks the contract; ``str(exc)`` is the reason given to the client."""


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: object) -> bool:
    return (_is_int(value) or isinstance(value, float)) and math.isfinite(value)  # type: ignore[arg-type]


class EventValidator:
    """Validates envelopes and props; build once per process from a :class:`Catalogue`."""

    def __init__(self, catalogue: Catalogue) -> None:
        self.catalogue = catalogue
        self.limits = catalogue.limits
        self.channels = frozenset(catalogue.channels)
        self._enums = {name: catalogue.allowed(name) for name in ("businesses", "flows", "slots")}
        self._specs: dict[str, tuple[dict[str, PropSpec], frozenset[str]]] = {
            name: (spec.props, frozenset(k for k, p in spec.props.items() if p.required))
            for name, spec in catalogue.events.items()
        }
        self._past_ms = self.limits.max_past_days * DAY_MS
        self._future_ms = self.limits.max_future_minutes * MINUTE_MS

    def validate(self, raw: Any, now_ms: int) -> dict[str, Any]:
        """Return the normalised event or raise :class:`EventRejected`."""
        if not isinstance(raw, dict):
            raise EventRejected("event must be a JSON object")
        unknown = raw.keys() - ENVELOPE_FIELDS
        if unknown:
            raise EventRejected(f"unknown envelope field(s): {', '.join(sorted(unknown))}")
        event_id = self._identifier(raw, "event_id")
        user_id = self._identifier(raw, "user_id")
        channel = raw.get("channel")
        if channel not in self.channels:
            raise EventRejected(f"channel: must be one of {', '.join(sorted(self.channels))}")
        name = raw.get("event")
        if not isinstance(name, str) or name not in self._specs:
            raise EventRejected(f"event: {name!r} is not in the catalogue")
        ts = raw.get("ts")
        if not _is_int(ts):
            raise EventRejected("ts: must be an integer of epoch milliseconds")
        if ts < now_ms - self._past_ms or ts > now_ms + self._future_ms:
            raise EventRejected(
                f"ts: {ts} is absurd (allowed: {self.limits.max_past_days} days past "
                f"to {self.limits.max_future_minutes} minutes ahead of the server clock)"
            )
        session_id = raw.get("session_id")
        if session_id is not None and (not isinstance(session_id, str) or len(session_id) > MAX_ID_CHARS):
            raise EventRejected(f"session_id: must be a string of at most {MAX_ID_CHARS} characters")
        page = raw.get("page")
        if page is not None and (not isinstance(page, str) or len(page) > MAX_PAGE_CHARS):
            raise EventRejected(f"page: must be a string of at most {MAX_PAGE_CHARS} characters")
        props = self._props(name, raw.get("props"))
        return {
            "event_id": event_id,
            "user_id": user_id,
            "channel": channel,
            "event": name,
            "ts": ts,
            "session_id": session_id or "",
            "page": page or "",
            "props": props,
        }

    @staticmethod
    def _identifier(raw: dict[str, Any], field: str) -> str:
        value = raw.get(field)
        if not isinstance(value, str) or not 1 <= len(value) <= MAX_ID_CHARS:
            raise EventRejected(f"{field}: must be a string of 1-{MAX_ID_CHARS} characters")
        return value

    def _props(self, name: str, props: Any) -> dict[str, Any]:
        if props is None:
            props = {}
        if not isinstance(props, dict):
            raise EventRejected("props: must be an object")
        limits = self.limits
        if len(props) > limits.max_props:
            raise EventRejected(f"props: {len(props)} props, at most {limits.max_props} allowed")
        for key, value in props.items():
            if len(key) > limits.max_prop_key_chars:
                raise EventRejected(f"props: key {key[:20]!r}... longer than {limits.max_prop_key_chars}")
            if isinstance(value, str):
                if len(value) > limits.max_prop_string_chars:
                    raise EventRejected(f"props.{key}: longer than {limits.max_prop_string_chars} characters")
            elif not (isinstance(value, bool) or _is_number(value)):
                raise EventRejected(f"props.{key}: values must be strings, numbers or booleans")
        specs, required = self._specs[name]
        missing = required - props.keys()
        if missing:
            raise EventRejected(f"props: {name} requires {', '.join(sorted(missing))}")
        for key, spec in specs.items():
            if key in props:
                self._check_prop(name, key, spec, props[key])
        if name == "flow_step":
            self._check_flow_step(props)
        return props

    def _check_prop(self, name: str, key: str, spec: PropSpec, value: Any) -> None:
        where = f"props.{key}"
        if spec.type in ("string", "date"):
            if not isinstance(value, str):
                raise EventRejected(f"{where}: must be a string")
            if spec.type == "date":
                try:
                    dt.date.fromisoformat(value)
                except ValueError:
                    raise EventRejected(f"{where}: must be a date YYYY-MM-DD") from None
            if spec.enum and value not in self._enums[spec.enum]:
                raise EventRejected(f"{where}: {value!r} is not a known {spec.enum[:-1]}")
            return
        if spec.type == "boolean":
            if not isinstance(value, bool):
                raise EventRejected(f"{where}: must be a boolean")
            return
        if spec.type == "integer" and not _is_int(value):
            raise EventRejected(f"{where}: must be an integer")
        if not _is_number(value):
            raise EventRejected(f"{where}: must be a number")
        if spec.min is not None and value < spec.min:
            raise EventRejected(f"{where}: must be >= {spec.min:g}")
        if spec.max is not None and value > spec.max:
            raise EventRejected(f"{where}: must be <= {spec.max:g}")

    def _check_flow_step(self, props: dict[str, Any]) -> None:
        flow = self.catalogue.flows[props["flow"]]
        if props["step"] > flow.last_step:
            raise EventRejected(f"props.step: flow {props['flow']} has {flow.last_step} steps")
        if props["business"] != flow.business:
            raise EventRejected(f"props.business: flow {props['flow']} belongs to {flow.business}")
