"""The public API: ``GET /v1/touchpoints``, ``/healthz``, ``/metrics``, ``/openapi.json``.

Every parameter is checked before anything is read: unknown or repeated parameters,
malformed ids, unknown channels, slots, contexts and time zones get a 400 with a reason. A
well-formed slot id that is neither in the contract nor created through the admin API is
refused (400 unknown_slot) once the store's version is read, in the same round trip.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from dataclasses import dataclass
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

from flask import Blueprint, Response, current_app, request
from pydantic import ValidationError

from core.serving import render_metrics
from touchpoints import metrics
from touchpoints.definitions import DefinitionContext, first_error
from touchpoints.errors import ApiError, json_response
from touchpoints.schemas import DecisionQuery
from touchpoints.service import DecisionRequest, DecisionService, UnknownSlot
from touchpoints.store import CampaignStore

public = Blueprint("touchpoints", __name__)

LIST_PARAMETERS = frozenset({"slot"})
PARAMETERS = frozenset(DecisionQuery.model_fields)


@dataclass
class Touchpoints:
    """What the blueprints need, wired once per process by ``create_app``."""

    service: DecisionService
    store: CampaignStore
    context: DefinitionContext
    admin_token: str
    default_zone: ZoneInfo
    openapi: dict[str, Any]


def touchpoints() -> Touchpoints:
    return current_app.extensions["touchpoints"]  # type: ignore[no-any-return]


@cache
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


def parse_query(args: Any, tp: Touchpoints) -> DecisionRequest:
    """A validated request from the query string, or :class:`ApiError` 400 with a reason."""
    unknown = sorted(set(args) - PARAMETERS)
    if unknown:
        raise ApiError(400, "unknown_parameter", f"unknown parameter(s): {', '.join(unknown)[:200]}")
    raw: dict[str, Any] = {}
    for name in args:
        values = args.getlist(name)
        if name in LIST_PARAMETERS:
            raw[name] = values
        elif len(values) > 1:
            raise ApiError(400, "repeated_parameter", f"{name} given {len(values)} times")
        else:
            raw[name] = values[0]
    try:
        query = DecisionQuery.model_validate(raw)
    except ValidationError as exc:
        field, kind, message = first_error(exc, "query")
        if kind == "missing":
            raise ApiError(400, "missing_parameter", f"{field} is required") from None
        if field == "slot" and kind == "too_long":
            raise ApiError(400, "too_many_slots", f"{len(raw['slot'])} slots; one page asks for at most 12") from None
        raise ApiError(400, f"invalid_{field}", f"{field}: {message}") from None
    contract = tp.context.contract
    if query.channel not in contract.channels:
        raise ApiError(400, "unknown_channel", f"channel must be one of {', '.join(contract.channels)}")
    slots = []
    for name in query.slot:
        slot_id = name if "." in name else f"{query.channel}.{name}"
        # only the shape here: whether a created slot exists, the service knows once it has
        # read the store's version (DecisionService.decide raises UnknownSlot)
        if not tp.context.slot_id.fullmatch(slot_id):
            raise ApiError(400, "unknown_slot", f"{name[:80]!r} is not a slot of channel {query.channel}")
        channel = slot_id.split(".", 1)[0]
        if channel != query.channel:
            raise ApiError(400, "slot_channel_mismatch", f"slot {slot_id} belongs to channel {channel}")
        if slot_id in slots:
            raise ApiError(400, "duplicate_slot", f"slot {slot_id} requested twice")
        slots.append(slot_id)
    if query.context is not None and query.context not in tp.context.knowledge_base.actions:
        raise ApiError(400, "unknown_context", f"context {query.context!r} is not an action of the knowledge base")
    zone = tp.default_zone
    if query.tz is not None:
        if query.tz not in _zones():
            raise ApiError(400, "unknown_timezone", f"tz {query.tz[:64]!r} is not an IANA time zone")
        zone = ZoneInfo(query.tz)
    return DecisionRequest(
        user_id=query.user_id,
        channel=query.channel,
        slots=slots,
        zone=zone,
        context=query.context,
        request_id=query.request_id,
        session_id=query.session_id or "",
        page=query.page or "",
        ip=request.remote_addr or "",
        user_agent=request.headers.get("User-Agent", "")[:512],
    )


@public.get("/v1/touchpoints")
def decide() -> Response:
    started = time.perf_counter()
    tp = touchpoints()
    try:
        decision = parse_query(request.args, tp)
    except ApiError:
        metrics.PUBLIC_BAD.inc()
        raise
    try:
        outcome = tp.service.decide(decision)
    except UnknownSlot as exc:
        metrics.PUBLIC_BAD.inc()
        raise ApiError(400, "unknown_slot", f"{exc.slot_id} is not a slot of channel {decision.channel}") from None
    if outcome.degraded:
        metrics.DEGRADED.inc()
    if outcome.replayed:
        metrics.REPLAYED.inc()
    for (tier, reason), n in Counter(outcome.slot_results).items():
        metrics.DECISIONS.labels(tier, reason).inc(n)
    metrics.PUBLIC_OK.inc()
    metrics.LATENCY.observe(time.perf_counter() - started)
    return Response(outcome.body, mimetype="application/json", headers={"X-Touchpoints-Worker": str(os.getpid())})


@public.get("/healthz")
def healthz() -> Response:
    tp = touchpoints()
    return json_response(
        {"ok": True, "redis": tp.service.breaker.state, "campaigns_version": tp.service.live.current.version}
    )


@public.get("/metrics")
def prometheus_metrics() -> Response:
    return Response(render_metrics(), mimetype="text/plain; version=0.0.4")


@public.get("/openapi.json")
def openapi() -> Response:
    return json_response(touchpoints().openapi)
