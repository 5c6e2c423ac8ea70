"""Check one incoming event against the catalogue and normalise it.

Hot path of the collector: plain Python over precompiled specs, no per-event model
construction. Every rejection carries a reason a client developer can act on, and for
any JSON value whatsoever the validator raises nothing but :class:`EventRejected` (types
are checked before anything hashes, compares or measures a value).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Any

from core.clock import DAY_MS
from core.contract.definitions import Catalogue, EventSource, PropSpec
from core.contract.event_time import derive_event_time

ENVELOPE_FIELDS = frozenset({"event_id", "user_id", "channel", "event", "ts", "sent_at", "session_id", "page", "props"})
ALL_SOURCES: frozenset[EventSource] = frozenset({"client", "backend", "service"})
CLIENT_SOURCES: frozenset[EventSource] = frozenset({"client"})
MAX_ID_CHARS = 64
# user_id, event_id, session_id: no whitespace, control characters, braces (Redis Cluster hash
# tags), quotes or separators the pipeline's per-user lists and keys rely on.
ID_CHARS = "A-Za-z0-9_.:@+-"
ID_PATTERN = re.compile(f"[{ID_CHARS}]{{1,{MAX_ID_CHARS}}}")
DATE_PATTERN = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
MAX_PAGE_CHARS = 1024
SHOWN_CHARS = 40  # how much of a client's value a reason quotes


class EventRejected(ValueError):
    """The event breaks the contract; ``str(exc)`` is the reason given to the client."""


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: object) -> bool:
    return (_is_int(value) or isinstance(value, float)) and math.isfinite(value)  # type: ignore[arg-type]


def shown(value: object) -> str:
    """A client's value quoted in a reason, cut short: reasons are echoed and stored."""
    text = repr(value) if isinstance(value, str) else type(value).__name__
    return text if len(text) <= SHOWN_CHARS else text[: SHOWN_CHARS - 3] + "..."


class EventValidator:
    """Validates envelopes and props; build once per process from a :class:`Catalogue`."""

    def __init__(self, catalogue: Catalogue) -> None:
        self.catalogue = catalogue
        self.limits = catalogue.limits
        self.channels = frozenset(catalogue.channels)
        self._enums = {name: catalogue.allowed(name) for name in ("businesses", "flows", "slots")}
        self._formats = catalogue.formats()
        self._specs: dict[str, tuple[dict[str, PropSpec], frozenset[str]]] = {
            name: (spec.props, frozenset(k for k, p in spec.props.items() if p.required))
            for name, spec in catalogue.events.items()
        }
        self._sources = {name: spec.source for name, spec in catalogue.events.items()}
        self._past_ms = self.limits.max_past_days * DAY_MS
        self._skew_ms = self.limits.max_clock_skew_days * DAY_MS

    def validate(
        self, raw: Any, now_ms: int, *, allowed_sources: frozenset[EventSource] = ALL_SOURCES
    ) -> dict[str, Any]:
        """Return the normalised event or raise :class:`EventRejected`.

        ``now_ms`` is the server's receive time; ``allowed_sources`` are the sources the
        sender may speak for (the collector allows only ``client`` without the back end's
        credential).
        """
        if not isinstance(raw, dict):
            raise EventRejected("event must be a JSON object")
        unknown = raw.keys() - ENVELOPE_FIELDS
        if unknown:
            names = ", ".join(sorted(shown(str(k)) for k in unknown)[:5])
            raise EventRejected(f"unknown envelope field(s): {names}")
        event_id = self._identifier(raw, "event_id")
        user_id = self._identifier(raw, "user_id")
        channel = raw.get("channel")
        if not isinstance(channel, str) or channel not in self.channels:
            raise EventRejected(f"channel: must be one of {', '.join(sorted(self.channels))}")
        name = raw.get("event")
        if not isinstance(name, str) or name not in self._specs:
            raise EventRejected(f"event: {shown(name)} is not in the catalogue")
        source = self._sources[name]
        if source not in allowed_sources:
            raise EventRejected(
                f"source: {name} is a {source} event, accepted only with the back end's credential "
                "(Authorization: Bearer <key>)"
            )
        client_ts, sent_at = self._clock(raw, now_ms)
        ts = derive_event_time(client_ts, sent_at, now_ms)
        if ts < now_ms - self._past_ms:
            raise EventRejected(f"ts: the event is older than {self.limits.max_past_days} days")
        session_id = "" if raw.get("session_id") in (None, "") else self._identifier(raw, "session_id")
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
            "client_ts": client_ts,
            "sent_at": sent_at,
            "session_id": session_id,
            "page": page or "",
            "props": props,
        }

    def _clock(self, raw: dict[str, Any], now_ms: int) -> tuple[int, int | None]:
        """The client's raw ``ts`` and ``sent_at``, checked to be plausible readings of a device clock."""
        client_ts = raw.get("ts")
        self._check_clock_reading("ts", client_ts, now_ms)
        sent_at = raw.get("sent_at")
        if sent_at is None:
            return client_ts, None
        self._check_clock_reading("sent_at", sent_at, now_ms)
        if sent_at < client_ts:
            raise EventRejected(f"sent_at: {sent_at} is before the event's ts {client_ts} (same device clock)")
        if sent_at - client_ts > self._past_ms:
            raise EventRejected(f"sent_at: the event waited more than {self.limits.max_past_days} days to be sent")
        return client_ts, sent_at

    def _check_clock_reading(self, field: str, value: Any, now_ms: int) -> None:
        if not _is_int(value):
            raise EventRejected(f"{field}: must be an integer of epoch milliseconds")
        if abs(value - now_ms) > self._skew_ms:
            raise EventRejected(
                f"{field}: {value} is more than {self.limits.max_clock_skew_days} days off the server clock "
                "(epoch milliseconds expected, not seconds or microseconds)"
            )

    @staticmethod
    def _identifier(raw: dict[str, Any], field: str) -> str:
        value = raw.get(field)
        if not isinstance(value, str) or not ID_PATTERN.fullmatch(value):
            raise EventRejected(f"{field}: must be 1-{MAX_ID_CHARS} characters of {ID_CHARS}")
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
                raise EventRejected(f"props: key {shown(key)} longer than {limits.max_prop_key_chars}")
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
                self._check_date(where, value)
            if spec.enum and value not in self._enums[spec.enum]:
                raise EventRejected(f"{where}: {shown(value)} is not a known {spec.enum[:-1]}")
            if spec.format == "slot_id" and not self._formats[spec.format].fullmatch(value):
                raise EventRejected(
                    f"{where}: {shown(value)} is not a known slot: expected <channel>.<name> with a channel of "
                    f"{', '.join(sorted(self.channels))} and a name of a-z, 0-9 and _ (at most 48)"
                )
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

    @staticmethod
    def _check_date(where: str, value: str) -> None:
        """Strictly ``YYYY-MM-DD``: ``date.fromisoformat`` alone also takes ``20261231`` and ``2026-W53-4``."""
        if not DATE_PATTERN.fullmatch(value):
            raise EventRejected(f"{where}: must be a date YYYY-MM-DD")
        try:
            dt.date.fromisoformat(value)
        except ValueError:
            raise EventRejected(f"{where}: {value} is not a calendar date") from None

    def _check_flow_step(self, props: dict[str, Any]) -> None:
        flow = self.catalogue.flows[props["flow"]]
        if props["step"] > flow.last_step:
            raise EventRejected(f"props.step: flow {props['flow']} has {flow.last_step} steps")
        if props["business"] != flow.business:
            raise EventRejected(f"props.business: flow {props['flow']} belongs to {flow.business}")
