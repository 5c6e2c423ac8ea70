"""The collector's Flask application (factory + one blueprint for the public API)."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from flask import Blueprint, Flask, Response, current_app, request
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from core.clock import now_ms
from core.config import Settings
from core.contract import EventRejected, EventValidator, default_catalogue
from core.contract.definitions import EventSource
from core.contract.validate import ENVELOPE_FIELDS
from core.credentials import backend_key
from ingest import metrics
from ingest.auth import allowed_sources
from ingest.body import BodyRejected, read_batch
from ingest.enrich import client_fields, enrich
from ingest.limits import CollectorLimits
from ingest.quarantine import BODY_INDEX, quarantine_line
from ingest.segments import SegmentWriter
from ingest.spans import element_spans

logger = logging.getLogger(__name__)

INTERNAL_REASON = "internal: the collector could not check this event and logged why; it was not accepted"
REJECTION_FIELDS = ENVELOPE_FIELDS | {"source", "internal"}  # metric labels: a bounded set


@dataclass
class Collector:
    """What the blueprint needs, wired once per process by :func:`create_app`."""

    validator: EventValidator
    events: SegmentWriter
    quarantine: SegmentWriter
    limits: CollectorLimits
    backend_key: bytes


api = Blueprint("collect", __name__)


def _json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(body), status=status, mimetype="application/json", headers=headers)


def _collector() -> Collector:
    return current_app.extensions["touchstream.collector"]  # type: ignore[no-any-return]


@api.get("/healthz")
def healthz() -> Response:
    return _json({"ok": True})


@api.get("/metrics")
def prometheus_metrics() -> Response:
    return Response(metrics.render(), mimetype="text/plain; version=0.0.4")


@api.post("/v1/collect")
def collect() -> Response:
    started = time.perf_counter()
    collector = _collector()
    received_at = now_ms()
    ip = request.remote_addr or ""
    try:
        sources = allowed_sources(request.headers.get("Authorization"), collector.backend_key)
        body, batch = read_batch(request, collector.limits)
    except BodyRejected as exc:
        return _refuse(collector, exc, received_at)

    accepted, rejected = _check_batch(collector, batch, received_at, ip, sources)
    quarantined = _quarantine_lines(collector, body, rejected, received_at, ip) if rejected else b""
    try:
        collector.events.append(b"".join(line for line, _ in accepted))
        collector.quarantine.append(quarantined)
    except OSError:
        logger.exception("event log write failed; batch not acknowledged")
        metrics.REQUESTS.labels("503").inc()
        return _json({"error": "event log unavailable, retry later"}, 503)
    channels: dict[str, int] = {}
    for _, channel in accepted:
        channels[channel] = channels.get(channel, 0) + 1
    for channel, n in channels.items():
        metrics.EVENTS_ACCEPTED.labels(channel).inc(n)
    for _, reason in rejected:
        metrics.EVENTS_REJECTED.labels(_field_of(reason)).inc()
    metrics.REQUESTS.labels("200").inc()
    metrics.LATENCY.observe(time.perf_counter() - started)
    return _json({"accepted": len(accepted), "rejected": [{"index": i, "reason": r} for i, r in rejected]})


def _check_batch(
    collector: Collector, batch: list[Any], received_at: int, ip: str, sources: frozenset[EventSource]
) -> tuple[list[tuple[bytes, str]], list[tuple[int, str]]]:
    """(log line, channel) of each accepted event and (index, reason) of each rejected one.

    One event's failure never costs the others: anything but a contract rejection is a bug,
    logged with its stack trace and answered as a rejection of that event alone.
    """
    ua = client_fields(request.headers.get("User-Agent", ""))
    accepted: list[tuple[bytes, str]] = []
    rejected: list[tuple[int, str]] = []
    for index, raw in enumerate(batch):
        try:
            event = collector.validator.validate(raw, received_at, allowed_sources=sources)
            accepted.append((orjson.dumps(enrich(event, received_at, ip, ua)) + b"\n", event["channel"]))
        except EventRejected as exc:
            rejected.append((index, str(exc)))
        except Exception:
            logger.exception("event %d of a batch from %s could not be checked", index, ip)
            rejected.append((index, INTERNAL_REASON))
    return accepted, rejected


def _quarantine_lines(
    collector: Collector, body: bytes, rejected: list[tuple[int, str]], received_at: int, ip: str
) -> bytes:
    """The rejected elements as the client sent them, sliced out of the body."""
    spans = element_spans(body)
    if len(spans) <= rejected[-1][0]:  # cannot happen for a body orjson parsed; never fail the batch over it
        logger.error("found %d elements in a body with a rejected element at %d", len(spans), rejected[-1][0])
        spans = []
    limit = collector.limits.quarantine_raw_bytes
    return b"".join(
        quarantine_line(received_at, ip, index, reason, body[slice(*spans[index])] if spans else b"", limit)
        for index, reason in rejected
    )


def _refuse(collector: Collector, exc: BodyRejected, received_at: int) -> Response:
    """Answer a refused request and quarantine its body (the first bytes, decoded if gzip was undone)."""
    try:
        raw = exc.body if exc.body is not None else request.get_data(cache=True)  # bounded by MAX_CONTENT_LENGTH
    except HTTPException:  # declared too large, or the client went away
        raw = b""
    limits = collector.limits
    ip = request.remote_addr or ""
    line = quarantine_line(received_at, ip, BODY_INDEX, exc.reason, raw, limits.quarantine_raw_bytes)
    try:
        collector.quarantine.append(line)
    except OSError:
        logger.exception("quarantine write failed for a refused request (%s)", exc.reason)
    metrics.REQUESTS.labels(str(exc.status)).inc()
    return _json({"error": exc.reason}, exc.status, exc.headers)


def _field_of(reason: str) -> str:
    head = reason.split(":", 1)[0].split(".", 1)[0]
    return head if head in REJECTION_FIELDS else "other"


def create_app(
    settings: Settings,
    log_dir: Path | None = None,
    quarantine_dir: Path | None = None,
    limits: CollectorLimits | None = None,
    max_age_s: float = 1.0,
) -> Flask:
    """Build the collector for this process (each gunicorn worker builds its own)."""
    limits = limits or CollectorLimits()
    app = Flask("touchstream-collector")
    # Werkzeug stops reading a chunked body silently at this length: one byte more tells "too large".
    app.config["MAX_CONTENT_LENGTH"] = limits.max_body_bytes + 1
    collector = Collector(
        validator=EventValidator(default_catalogue()),
        events=SegmentWriter(log_dir or settings.event_log, max_age_s=max_age_s),
        quarantine=SegmentWriter(quarantine_dir or settings.quarantine_log, max_age_s=max_age_s),
        limits=limits,
        backend_key=backend_key(settings).encode("ascii"),
    )
    app.extensions["touchstream.collector"] = collector
    app.register_blueprint(api)

    @app.errorhandler(RequestEntityTooLarge)
    def too_large(_exc: RequestEntityTooLarge) -> Response:
        return _refuse(collector, BodyRejected(413, f"body over {limits.max_body_bytes} bytes"), now_ms())

    return app
