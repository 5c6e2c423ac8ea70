"""Who is sending: a browser or app (client events only) or the back end (every source).

The back end proves itself with ``Authorization: Bearer <key>`` (core/credentials.py). No
header: a client; its back-end and service events are rejected one by one. A header that
is not exactly the key: the whole request is refused with 401, so a misconfigured back end
notices at once instead of losing its business events one at a time.
"""

from __future__ import annotations

import hmac

from core.contract.definitions import EventSource
from core.contract.validate import ALL_SOURCES, CLIENT_SOURCES
from ingest.body import BodyRejected

CHALLENGE = {"WWW-Authenticate": 'Bearer realm="touchstream"'}
INVALID = {"WWW-Authenticate": 'Bearer realm="touchstream", error="invalid_token"'}


def allowed_sources(authorization: str | None, backend_key: bytes) -> frozenset[EventSource]:
    """The event sources this request may send; raises :class:`BodyRejected` (401) on a bad credential."""
    if not authorization:
        return CLIENT_SOURCES
    scheme, _, token = authorization.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise BodyRejected(401, "Authorization must be 'Bearer <back-end key>'", CHALLENGE)
    if not hmac.compare_digest(token.encode("utf-8", errors="replace"), backend_key):
        raise BodyRejected(401, "the back-end key is wrong", INVALID)
    return ALL_SOURCES
