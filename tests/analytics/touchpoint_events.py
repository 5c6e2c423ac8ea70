"""Build touchpoint, order, flow and decision events for the touchpoint value tests.

Times are epoch ms from :data:`D`, 2026-09-01 00:00 UTC (a Tuesday: its week starts Monday 31 August).
Each builder returns event-log records for ``warehouse.sources.insert_events``.
"""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from core.clock import DAY_MS, HOUR_MS, MINUTE_MS, SECOND_MS
from tests.warehouse.conftest import record

D = 1_788_220_800_000
assert dt.datetime.fromtimestamp(D / 1000, dt.UTC) == dt.datetime(2026, 9, 1, tzinfo=dt.UTC)

__all__ = ["DAY_MS", "HOUR_MS", "MINUTE_MS", "SECOND_MS", "D", "Events"]

CLICK_AFTER_MS = 10 * SECOND_MS
"""A click follows its exposure by ten seconds in these datasets."""


class Events:
    """Collects records; every event gets a fresh id unless one is given (a resend keeps its id)."""

    def __init__(self) -> None:
        self.records: list[dict[str, Any]] = []
        self._ids = itertools.count(1)

    def add(self, event: str, user: str, ts: int, channel: str, props: dict[str, Any], event_id: str = "") -> str:
        event_id = event_id or f"e{next(self._ids)}"
        self.records.append(record(event_id, user=user, channel=channel, ts=ts, event=event, props=props))
        return event_id

    def exposure(self, user: str, slot: str, campaign: str, decision: str, ts: int, event_id: str = "") -> str:
        props = {"slot": slot, "campaign": campaign, "content_id": f"{campaign}-c", "decision_id": decision}
        return self.add("touchpoint_exposure", user, ts, slot.split(".")[0], props, event_id)

    def click(self, user: str, slot: str, campaign: str, decision: str, ts: int, event_id: str = "") -> str:
        props = {"slot": slot, "campaign": campaign, "content_id": f"{campaign}-c", "decision_id": decision}
        return self.add("touchpoint_click", user, ts, slot.split(".")[0], props, event_id)

    def exposed_and_clicked(self, user: str, slot: str, campaign: str, decision: str, ts: int) -> int:
        """An exposure at ``ts`` and its click ten seconds later; returns the click time."""
        self.exposure(user, slot, campaign, decision, ts)
        self.click(user, slot, campaign, decision, ts + CLICK_AFTER_MS)
        return ts + CLICK_AFTER_MS

    def order(self, user: str, business: str, ts: int, amount: float = 10.0, product: str = "p") -> str:
        props = {"business": business, "product": product, "amount": amount}
        return self.add("order_success", user, ts, "app", props)

    def flow_step(self, user: str, flow: str, step: int, business: str, ts: int) -> str:
        return self.add("flow_step", user, ts, "app", {"flow": flow, "step": step, "business": business})

    def decision(self, user: str, slot: str, ts: int, shown: str = "", holdout: str = "") -> str:
        decision_id = f"dec{next(self._ids)}"
        props = {
            "decision_id": decision_id,
            "request_id": f"r-{decision_id}",
            "slot": slot,
            "campaigns": shown,
            "tiers": ",".join("precision" for _ in shown.split(",")) if shown else "",
            "reason": "holdout" if holdout and not shown else "shown",
            "holdout": holdout,
            "degraded": False,
        }
        self.add("touchpoint_decision", user, ts, slot.split(".")[0], props)
        return decision_id
