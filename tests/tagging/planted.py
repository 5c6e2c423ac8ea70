"""A generated world with planted behaviour on the tag families' boundaries.

Shared by the engine-vs-oracle test (tests/tagging/test_oracle.py) and the end-to-end
check through the Flink job (tests/flink_jobs/test_planted_truth.py).
"""

from __future__ import annotations

from typing import Any

from tests.tagging.builders import DAY, MINUTE, T0, ev, order, step
from touchstream.traffic.generate import generate_world

SECOND = 1000
START = T0


def planted() -> list[dict[str, Any]]:
    """Users whose behaviour sits on the families' boundaries."""
    e: list[dict[str, Any]] = []
    t = START + 2 * DAY + 9 * 3600_000
    # p-early completes 1 s before the window closes; p-late 1 s after; p-exact at the close
    for user, delta in (("p-early", -SECOND), ("p-late", SECOND), ("p-exact", 0)):
        e += [
            step(t, "handset_order", 1, "handset", user),
            step(t + 5 * MINUTE, "handset_order", 2, "handset", user),
        ]
        e.append(step(t + 35 * MINUTE + delta, "handset_order", 4, "handset", user))
    # p-order: abandons, then an order of the business without a flow completes it days later
    e += [step(t, "bill_payment", 1, "topup", "p-order"), order(t + 3 * DAY, "topup", "p-order")]
    # p-browse: views sliding in and out of the 7-day window, then an order, then more views
    for d in (0, 2, 6, 8, 9, 12, 13):
        e.append(ev("page_view", t + d * DAY, "p-browse", business="broadband"))
    e.append(order(t + 14 * DAY, "broadband", "p-browse"))
    e += [ev("page_view", t + (15 + d) * DAY, "p-browse", business="broadband") for d in range(3)]
    # p-share shares; p-friend visits through it twice, p-share visits itself (no credit)
    e.append(ev("share", t, "p-share", business="plan", campaign="c", share_id="planted-1"))
    e.append(ev("page_view", t + DAY, "p-friend", business="plan", ref_share_id="planted-1"))
    e.append(ev("page_view", t + DAY, "p-share", business="plan", ref_share_id="planted-1"))
    e.append(ev("page_view", t + 29 * DAY, "p-friend", ref_share_id="planted-1"))
    e.append(ev("page_view", t + 31 * DAY, "p-friend", ref_share_id="planted-1"))  # too late to credit
    # p-quiet: active on 3 days, then silent; p-quiet2: 3 active days but two are >4 weeks apart
    e += [ev("click", t + d * DAY, "p-quiet", element="x") for d in (0, 5, 9)]
    e += [ev("click", t + d * DAY, "p-quiet2", element="x") for d in (0, 28, 29)]
    return e


def build_world() -> list[dict[str, Any]]:
    """Generated users plus the planted ones, in time order."""
    events = list(generate_world(users=40, days=45, seed=7, start_ms=START)) + planted()
    events.sort(key=lambda e: e["ts"])  # stable: the generator's order among equal times stays
    return events


def checkpoints() -> list[int]:
    t = START + 2 * DAY + 9 * 3600_000
    planted_edges = [t + 35 * MINUTE - 1, t + 35 * MINUTE, t + 30 * MINUTE, t + 8 * DAY, t + 9 * DAY + 1]
    return sorted({*planted_edges, *(START + d * DAY + 13 * 3600_000 + d * 7919 for d in range(1, 60, 4))})


def handset_close() -> int:
    """When the planted handset flows' abandonment windows close."""
    return START + 2 * DAY + 9 * 3600_000 + 35 * MINUTE
