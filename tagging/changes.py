"""The engine's output: one tag of one user going on or off at an exact event time."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

Action = Literal["set", "cleared"]


@dataclass(frozen=True, slots=True)
class TagChange:
    """``tag`` became ``action`` for ``user_id`` at event time ``ts_ms``.

    A ``set`` on a tag that is already set refreshes it (new ``expires_at_ms``); ``set_at_ms``
    is when the tag went on, the same on every refresh, so a store writes absolute values and
    ends up the same whatever subset of refreshes it has seen (a replay after a hard kill).
    ``seq`` numbers the user's changes (1, 2, ...): it is the same on a replay, so a store can
    ignore what it has already applied even when two changes share a timestamp.
    """

    user_id: str
    tag: str
    action: Action
    ts_ms: int
    expires_at_ms: int | None = None
    seq: int = 0
    set_at_ms: int | None = None  # sets only

    def to_dict(self) -> dict[str, Any]:
        return {
            "user_id": self.user_id,
            "tag": self.tag,
            "action": self.action,
            "ts_ms": self.ts_ms,
            "expires_at_ms": self.expires_at_ms,
            "seq": self.seq,
            "set_at_ms": self.set_at_ms,
        }
