"""The demo's live step: make every touchpoint scenario happen now, for a few generated users.

The demo world lies in the past (the last 3 days), but a campaign such as "top-up arrived"
fires only within minutes of the top-up. So after the replay this step picks one generated
user per scenario (the first, by id, with no business event of their own in the world and
no order that would exclude them), posts that scenario's back-end event for them through
the collector, keeps a few page views of theirs flowing so the stream job's event time
moves past the events (it advances only with events, docs/pipeline.md), waits until the
profiles in Redis show the facts, asks the touchpoint service for a whole app page per user
and prints what each saw with a ``curl`` to repeat it. A user outside every scenario is
shown too. Bounded: it gives up waiting after ``timeout`` seconds and says so.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import orjson
import requests

from core.clock import now_ms
from core.config import Settings
from core.credentials import backend_key
from touchstream.traffic.send import USER_AGENTS

logger = logging.getLogger(__name__)

APP_PAGE = ["login_popup", "home_floor", "banner", "floating_icon", "reminder", "bill_page_recommend"]
BUSINESS_EVENTS = frozenset({"data_usage", "topup", "balance_low", "arrears", "broadband_contract", "unsubscribe"})
OUTSIDE = "outside"


@dataclass(frozen=True)
class Scenario:
    name: str  # also the prefix of its campaigns' ids
    event: str
    props: Callable[[dt.date], dict[str, Any]]
    excluded_by_order_of: str | None = None  # an order of this business takes the user out of the audience


SCENARIOS = [
    Scenario("data_threshold", "data_usage", lambda _d: {"used_pct": 92}, excluded_by_order_of="data_pack"),
    Scenario("topup", "topup", lambda _d: {"amount": 50}),
    Scenario("arrears", "arrears", lambda _d: {"amount_due": 58.3}),
    Scenario("low_balance", "balance_low", lambda _d: {"balance": 3.5}),
    Scenario(
        "broadband_expiry",
        "broadband_contract",
        lambda today: {"expires_on": (today + dt.timedelta(days=20)).isoformat()},
        excluded_by_order_of="broadband",
    ),
    Scenario("unsubscribe", "unsubscribe", lambda _d: {"product": "video-vip"}),
]


def pick_users(events: Iterable[dict[str, Any]]) -> dict[str, str]:
    """scenario (and ``outside``) -> a distinct generated user; deterministic for a world."""
    users: set[str] = set()
    busy: set[str] = set()  # had a business event of their own
    ordered: dict[str, set[str]] = {}  # business -> users who ordered it
    for event in events:
        user = event["user_id"]
        users.add(user)
        if event["event"] in BUSINESS_EVENTS:
            busy.add(user)
        elif event["event"] == "order_success":
            ordered.setdefault(event["props"].get("business", ""), set()).add(user)
    quiet = sorted(users - busy)
    picks: dict[str, str] = {}
    for scenario in [*SCENARIOS, None]:
        excluded = (
            ordered.get(scenario.excluded_by_order_of or "", set()) if scenario else set().union(*ordered.values())
        )
        name = scenario.name if scenario else OUTSIDE
        chosen = next((u for u in quiet if u not in excluded and u not in picks.values()), None)
        if chosen is None:
            raise ValueError(f"no generated user fits scenario {name}: generate more users")
        picks[name] = chosen
    return picks


def _event(user: str, name: str, props: dict[str, Any], at: int, seq: str) -> dict[str, Any]:
    return {
        "event_id": f"demo-{name}-{user}-{at}-{seq}",
        "user_id": user,
        "channel": "app",
        "event": name,
        "ts": at,
        "props": props,
    }


def post(settings: Settings, events: list[dict[str, Any]]) -> None:
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENTS["app"],
        "Authorization": f"Bearer {backend_key(settings)}",
    }
    response = requests.post(
        f"{settings.collector_url}/v1/collect", data=orjson.dumps(events), headers=headers, timeout=30
    )
    response.raise_for_status()
    rejected = response.json().get("rejected") or []
    if rejected:
        raise RuntimeError(f"the collector rejected demo events: {rejected}")


def page_url(settings: Settings, user: str, request_id: str) -> str:
    query = [("user_id", user), ("channel", "app"), *(("slot", s) for s in APP_PAGE), ("request_id", request_id)]
    return f"{settings.touchpoints_url}/v1/touchpoints?{urlencode(query)}"


@dataclass
class ScenarioResult:
    scenario: str
    user: str
    campaigns: list[str]
    url: str

    @property
    def ok(self) -> bool:
        mine = [c for c in self.campaigns if c.startswith(tuple(s.name for s in SCENARIOS))]
        if self.scenario == OUTSIDE:
            return not mine
        return any(c.startswith(self.scenario) for c in mine)


def run_scenarios(
    settings: Settings, world_events: Iterable[dict[str, Any]], timeout: float = 180.0
) -> list[ScenarioResult]:
    """Post the scenario events, wait until the profiles show them, ask the service per user."""
    from tagging.profiles import open_store

    picks = pick_users(world_events)
    now = now_ms()
    today = dt.datetime.fromtimestamp(now / 1000, dt.UTC).date()
    posted = {s.name: _event(picks[s.name], s.event, s.props(today), now, "0") for s in SCENARIOS}
    post(settings, list(posted.values()))
    store = open_store(settings)
    try:
        pending = dict(posted)
        deadline = time.monotonic() + timeout
        beat = 0
        while pending and time.monotonic() < deadline:
            beat += 1
            at = now_ms()  # page views of the showcase users move the stream's event time on
            post(settings, [_event(e["user_id"], "page_view", {}, at, str(beat)) for e in pending.values()])
            time.sleep(1.0)
            for name, event in list(pending.items()):
                last_at = store.get_profile(event["user_id"])["state"].get("last_at") or {}
                if last_at.get(event["event"], -1) >= event["ts"]:
                    del pending[name]
        if pending:
            logger.warning("scenario events not in the profiles after %.0f s: %s", timeout, ", ".join(pending))
    finally:
        store.close()
    results = []
    for name, user in picks.items():
        url = page_url(settings, user, f"readme-{name}")
        answer = requests.get(url, timeout=10).json()
        shown = [item["campaign_id"] for slot in answer["slots"] for item in slot["items"]]
        results.append(ScenarioResult(name, user, list(dict.fromkeys(shown)), url))
    return results
