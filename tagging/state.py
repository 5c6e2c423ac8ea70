"""Per-user state of the tag engine: plain data, serialised to compact JSON bytes.

The Flink job keeps one :class:`UserState` per user in a ValueState (as bytes); nothing in
it refers to the engine or to the catalogue objects, so a definition reload never needs a
state migration.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson


@dataclass
class BusinessState:
    """The operator's view of the subscriber, kept on the profile for targeting."""

    used_pct: float | None = None  # latest monthly data usage crossing (data_usage)
    balance: float | None = None  # latest low balance reported (balance_low)
    arrears: bool = False  # set by `arrears`, cleared by a later `topup`
    arrears_amount: float | None = None
    broadband_expires_on: str | None = None  # YYYY-MM-DD (broadband_contract)
    last_topup_ts: int | None = None
    last_topup_amount: float | None = None
    unsubscribed: list[str] = field(default_factory=list)  # sorted; an order of the product removes it
    last_active_day: str | None = None  # UTC day (YYYY-MM-DD) of the latest event, back end included
    last_at: dict[str, int] = field(default_factory=dict)  # fact event name -> its latest event time (triggers)
    updated_at: int = 0  # event time of the latest change here: the store keeps the newest

    def to_tuple(self) -> tuple[Any, ...]:
        """The facts (not the version), cheap to compare: did an event change anything?"""
        return (
            self.used_pct,
            self.balance,
            self.arrears,
            self.arrears_amount,
            self.broadband_expires_on,
            self.last_topup_ts,
            self.last_topup_amount,
            tuple(self.unsubscribed),
            self.last_active_day,
            tuple(sorted(self.last_at.items())),
        )

    def to_dict(self) -> dict[str, Any]:
        """A deep copy as plain data (orjson's dataclass support is several times faster than asdict)."""
        return orjson.loads(orjson.dumps(self))


@dataclass
class UserState:
    """Everything the engine remembers about one user.

    ``tags`` holds the tags that are set: name -> [set_at, expires_at | None]. The other
    fields are the families' working memory, keyed by tag name, so a definition that
    disappears takes exactly its own entries with it.
    """

    user_id: str = ""
    clock: int = 0  # event time this state has reached (ms)
    seq: int = 0  # number of TagChanges emitted so far
    catalogue: str = ""  # fingerprint of the catalogue last reconciled with
    tags: dict[str, list[int | None]] = field(default_factory=dict)
    hits: dict[str, list[int]] = field(default_factory=dict)  # windowed: latest counted ts, ascending
    blocks: dict[str, int] = field(default_factory=dict)  # windowed: latest blocking ts (browser: order)
    pending: dict[str, int] = field(default_factory=dict)  # abandoned: when the open window closes
    days: dict[str, list[int]] = field(default_factory=dict)  # churn: distinct active UTC days, ascending
    last_active: dict[str, int] = field(default_factory=dict)  # churn: latest activity ts
    quiet_due: dict[str, int] = field(default_factory=dict)  # churn: when the quiet period ends
    business: BusinessState = field(default_factory=BusinessState)

    def to_bytes(self) -> bytes:
        return orjson.dumps(self)

    @classmethod
    def from_bytes(cls, data: bytes | bytearray | str) -> UserState:
        raw = orjson.loads(data)
        raw["business"] = BusinessState(**raw.get("business") or {})
        return cls(**raw)
