"""Event builders and time constants for the tagging tests."""

from __future__ import annotations

from itertools import count
from typing import Any

from core.clock import DAY_MS as DAY

MINUTE = 60_000
T0 = 1_780_000_000_000 - 1_780_000_000_000 % DAY  # a UTC midnight

_ids = count()


def ev(name: str, ts: int, user: str = "u1", **props: Any) -> dict[str, Any]:
    """An event-log record as the engine receives it."""
    return {
        "event_id": f"e{next(_ids)}",
        "user_id": user,
        "channel": "app",
        "event": name,
        "ts": ts,
        "session_id": "",
        "page": "",
        "props": props,
    }


def step(ts: int, flow: str, n: int, business: str, user: str = "u1") -> dict[str, Any]:
    return ev("flow_step", ts, user, flow=flow, step=n, business=business)


def order(ts: int, business: str, user: str = "u1", **props: Any) -> dict[str, Any]:
    return ev("order_success", ts, user, **{"business": business, "product": "p", "amount": 1, **props})
