"""The collector's Flask application (factory + one blueprint for the public API)."""

from __future__ import annotations

import logging
import time
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from flask import Blueprint, Flask, Response, current_app, request
from werkzeug.exceptions import RequestEntityTooLarge

from core.config import Settings
from core.contract import EventRejected, EventValidator, default_catalogue
from core.contract.validate import ENVELOPE_FIELDS
from ingest import metrics
from ingest.enrich import enrich, user_agent_fields
from ingest.limits import CollectorLimits
from ingest.segments import SegmentWriter

logger = logging.getLogger(__name__)

JSON_TYPES = ("application/json", "text/plain")  # text/plain: navigator.sendBeacon bodies


class BodyRejected(Exception):
    """The whole request body is unusable; carries the HTTP status and the reason."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass
class Collector:
    """What the blueprint needs, wired once per process by :func:`create_app`."""

    validator: EventValidator
    events: SegmentWriter
    quarantine: SegmentWriter
    limits: CollectorLimits

    def quarantine_records(self, records: list[dict[str, Any]]) -> None:
        if records:
            self.quarantine.append(b"".join(orjson.dumps(r) + b"\n" for r in records))


api = Blueprint("collect", __name__)


def _json(body: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(body), status=status, mimetype="application/json")


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
    received_at = int(time.time() * 1000)
    ip = request.remote_addr or ""
    try:
        batch = _read_batch(collector.limits)
    except BodyRejected as exc:
        collector.quarantine_records([_body_record(received_at, ip, exc.reason, collector.limits)])
        metrics.REQUESTS.labels(str(exc.status)).inc()
        return _json({"error": exc.reason}, exc.status)

    ua = user_agent_fields(request.headers.get("User-Agent", ""))
    accepted: list[bytes] = []
    rejected: list[dict[str, Any]] = []
    bad: list[dict[str, Any]] = []
    channels: dict[str, int] = {}
    for index, raw in enumerate(batch):
        try:
            event = collector.validator.validate(raw, received_at)
        except EventRejected as exc:
            reason = str(exc)
            rejected.append({"index": index, "reason": reason})
            bad.append(
                {
                    "received_at": received_at,
                    "ip": ip,
                    "index": index,
                    "reason": reason,
                    "raw": orjson.dumps(raw).decode(),
                }
            )
            metrics.EVENTS_REJECTED.labels(_field_of(reason)).inc()
            continue
        accepted.append(orjson.dumps(enrich(event, received_at, ip, ua)) + b"\n")
        channels[event["channel"]] = channels.get(event["channel"], 0) + 1
    try:
        collector.events.append(b"".join(accepted))
        collector.quarantine_records(bad)
    except OSError:
        logger.exception("event log write failed; batch not acknowledged")
        metrics.REQUESTS.labels("503").inc()
        return _json({"error": "event log unavailable, retry later"}, 503)
    for channel, n in channels.items():
        metrics.EVENTS_ACCEPTED.labels(channel).inc(n)
    metrics.REQUESTS.labels("200").inc()
    metrics.LATENCY.observe(time.perf_counter() - started)
    return _json({"accepted": len(accepted), "rejected": rejected})


def _read_batch(limits: CollectorLimits) -> list[Any]:
    content_type = (request.mimetype or "").lower()
    if content_type not in JSON_TYPES:
        raise BodyRejected(415, f"content type must be application/json, not {content_type or 'missing'}")
    if request.content_length is not None and request.content_length > limits.max_body_bytes:
        raise BodyRejected(413, f"body over {limits.max_body_bytes} bytes")
    body = request.get_data(cache=True)
    if len(body) > limits.max_body_bytes:
        raise BodyRejected(413, f"body over {limits.max_body_bytes} bytes")
    encoding = request.headers.get("Content-Encoding", "").lower()
    if encoding == "gzip":
        body = _gunzip(body, limits.max_body_bytes)
    elif encoding not in ("", "identity"):
        raise BodyRejected(415, f"content encoding {encoding!r} not supported (use gzip)")
    try:
        batch = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise BodyRejected(400, f"body is not valid JSON: {exc}") from None
    if not isinstance(batch, list):
        raise BodyRejected(400, "body must be a JSON array of events")
    if len(batch) > limits.max_events_per_batch:
        raise BodyRejected(400, f"{len(batch)} events in one batch, at most {limits.max_events_per_batch} allowed")
    return batch


def _gunzip(body: bytes, limit: int) -> bytes:
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        out = inflater.decompress(body, limit + 1)
    except zlib.error as exc:
        raise BodyRejected(400, f"body is not valid gzip: {exc}") from None
    if len(out) > limit or inflater.unconsumed_tail:
        raise BodyRejected(413, f"decompressed body over {limit} bytes")
    return out


def _body_record(received_at: int, ip: str, reason: str, limits: CollectorLimits) -> dict[str, Any]:
    small = request.content_length is not None and request.content_length <= limits.max_body_bytes
    raw = request.get_data(cache=True)[: limits.quarantine_raw_bytes] if small else b""
    return {
        "received_at": received_at,
        "ip": ip,
        "index": -1,
        "reason": reason,
        "raw": raw.decode("utf-8", errors="replace"),
    }


def _field_of(reason: str) -> str:
    head = reason.split(":", 1)[0].split(".", 1)[0]
    return head if head in ENVELOPE_FIELDS else "other"


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
    app.config["MAX_CONTENT_LENGTH"] = limits.max_body_bytes  # also bounds chunked bodies
    app.extensions["touchstream.collector"] = Collector(
        validator=EventValidator(default_catalogue()),
        events=SegmentWriter(log_dir or settings.event_log, max_age_s=max_age_s),
        quarantine=SegmentWriter(quarantine_dir or settings.quarantine_log, max_age_s=max_age_s),
        limits=limits,
    )
    app.register_blueprint(api)

    @app.errorhandler(RequestEntityTooLarge)
    def too_large(_exc: RequestEntityTooLarge) -> Response:
        reason = f"body over {limits.max_body_bytes} bytes"
        collector = app.extensions["touchstream.collector"]
        collector.quarantine_records(
            [
                {
                    "received_at": int(time.time() * 1000),
                    "ip": request.remote_addr or "",
                    "index": -1,
                    "reason": reason,
                    "raw": "",
                }
            ]
        )
        metrics.REQUESTS.labels("413").inc()
        return _json({"error": reason}, 413)

    return app
