"""Referral credits: route "a page view came through your share" to the sharer's key.

The visit is keyed by the visitor, the credit belongs to the sharer, and ``share_id`` says
nothing about who shared (the clients choose it). So the Flink job runs one small keyed
step before the tag engine::

    shares + page views with ref_share_id ─ keyBy(referral_key) ─ ReferralRouter ─┐ credits
    all events ───────────────────────────────────────────────────────────────────┴ union
        ─ keyBy(user_id) ─ TagEngine

Keyed by ``share_id``, the router remembers who shared (a :class:`ShareRecord` in a
ValueState) and turns each later page view by *another* user into a ``referral_credit``
event of the sharer, at the visit's event time. The engine counts those for
``referrer:<business>``. Events must reach the router in event-time order (a share
before the visits it brings); a visit before any share of its id is dropped.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from typing import Any

import orjson

from core.clock import DAY_MS

logger = logging.getLogger(__name__)

REFERRAL_EVENT = "referral_credit"


@dataclass
class ShareRecord:
    """Who made a share, of which business line, when (state of the share_id key)."""

    sharer: str
    business: str
    ts: int

    def to_bytes(self) -> bytes:
        return orjson.dumps(asdict(self))

    @classmethod
    def from_bytes(cls, data: bytes | bytearray | str) -> ShareRecord:
        return cls(**orjson.loads(data))


def referral_key(event: dict[str, Any]) -> str | None:
    """The share_id a share or a page view reached through a share is keyed by, else None."""
    props = event.get("props") or {}
    if event.get("event") == "share":
        value = props.get("share_id")
    elif event.get("event") == "page_view":
        value = props.get("ref_share_id")
    else:
        return None
    return value if isinstance(value, str) and value else None


class ReferralRouter:
    """Engine-agnostic logic of the share_id-keyed step. ``credit_days``: how long a share earns credits."""

    def __init__(self, credit_days: int = 30) -> None:
        self.credit_ms = credit_days * DAY_MS

    def on_event(
        self, record: ShareRecord | None, event: dict[str, Any]
    ) -> tuple[ShareRecord | None, dict[str, Any] | None]:
        """Return the new state of this share_id and the credit event to emit, if any."""
        share_id = referral_key(event)
        if share_id is None:
            return record, None
        user, ts = event["user_id"], int(event["ts"])
        if event["event"] == "share":
            if record is None:
                return ShareRecord(user, str(event["props"]["business"]), ts), None
            if record.sharer != user:
                logger.warning("share_id %s reused by %s (shared by %s): ignored", share_id, user, record.sharer)
            return record, None
        if record is None or user == record.sharer or not record.ts <= ts < record.ts + self.credit_ms:
            return record, None
        credit = {
            "event_id": f"ref:{event['event_id']}",
            "user_id": record.sharer,
            "channel": event.get("channel", ""),
            "event": REFERRAL_EVENT,
            "ts": ts,
            "session_id": "",
            "page": "",
            "props": {"business": record.business, "share_id": share_id, "visitor": user},
        }
        return record, credit

    def expired(self, record: ShareRecord, now_ms: int) -> bool:
        """True once the share can earn nothing more: the Flink step may clear its state."""
        return now_ms >= record.ts + self.credit_ms
