"""Turn a collect request's body into a batch: content type, size, strict gzip, JSON array.

Anything wrong with the body as a whole raises :class:`BodyRejected` with a 4xx status and
a reason; nothing a client sends makes this module raise anything else.
"""

from __future__ import annotations

import zlib
from typing import Any

import orjson
from flask import Request

from ingest.limits import CollectorLimits

JSON_TYPES = ("application/json", "text/plain")  # text/plain: navigator.sendBeacon bodies
GZIP_MAGIC = b"\x1f\x8b"


class BodyRejected(Exception):
    """The whole request is refused; carries the HTTP status, the reason, any extra headers and,
    once gzip is undone, the decoded body (what the quarantine should keep)."""

    def __init__(
        self, status: int, reason: str, headers: dict[str, str] | None = None, body: bytes | None = None
    ) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason
        self.headers = headers or {}
        self.body = body


def read_batch(request: Request, limits: CollectorLimits) -> tuple[bytes, list[Any]]:
    """The decoded body (JSON text) and the events it holds."""
    content_type = (request.mimetype or "").lower()
    if content_type not in JSON_TYPES:
        raise BodyRejected(415, f"content type must be application/json, not {content_type[:40] or 'missing'}")
    if request.content_length is not None and request.content_length > limits.max_body_bytes:
        raise BodyRejected(413, f"body over {limits.max_body_bytes} bytes")
    body = request.get_data(cache=True)
    if len(body) > limits.max_body_bytes:
        raise BodyRejected(413, f"body over {limits.max_body_bytes} bytes")
    encoding = request.headers.get("Content-Encoding", "").strip().lower()
    if encoding == "gzip":
        body = gunzip(body, limits.max_body_bytes)
    elif encoding not in ("", "identity"):
        raise BodyRejected(415, f"content encoding {encoding[:40]!r} not supported (use gzip)")
    try:
        batch = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise BodyRejected(400, f"body is not valid JSON: {exc}", body=body) from None
    if not isinstance(batch, list):
        raise BodyRejected(400, "body must be a JSON array of events", body=body)
    if len(batch) > limits.max_events_per_batch:
        reason = f"{len(batch)} events in one batch, at most {limits.max_events_per_batch} allowed"
        raise BodyRejected(400, reason, body=body)
    return body, batch


def gunzip(body: bytes, limit: int) -> bytes:
    """Exactly one complete gzip member of at most ``limit`` bytes inflated, nothing before or after it."""
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        out = inflater.decompress(body, limit + 1)
    except zlib.error as exc:
        raise BodyRejected(400, f"body is not valid gzip: {exc}") from None
    if len(out) > limit:
        raise BodyRejected(413, f"decompressed body over {limit} bytes")
    if not inflater.eof:
        raise BodyRejected(400, "gzip body is truncated: the stream or its trailer (CRC, length) is missing")
    if inflater.unused_data.startswith(GZIP_MAGIC):
        raise BodyRejected(400, "gzip body has more than one member; send one gzip stream per request")
    if inflater.unused_data:
        raise BodyRejected(400, f"gzip body has {len(inflater.unused_data)} trailing bytes after its end")
    return out
