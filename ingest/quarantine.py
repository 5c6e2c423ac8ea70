"""The quarantine record (docs/CONTRACTS.md): one rejected event, or one refused request body.

``raw`` is what the client sent, cut to a bounded length and decoded as UTF-8 with
replacement, never re-encoded: it can always be written and shows the input as it came.
"""

from __future__ import annotations

import orjson

BODY_INDEX = -1  # the record stands for the whole request body


def quarantine_line(received_at: int, ip: str, index: int, reason: str, raw: bytes, max_raw_bytes: int) -> bytes:
    """One JSON line of the quarantine log."""
    record = {
        "received_at": received_at,
        "ip": ip,
        "index": index,
        "reason": reason,
        "raw": raw[:max_raw_bytes].decode("utf-8", errors="replace"),
    }
    return orjson.dumps(record) + b"\n"
