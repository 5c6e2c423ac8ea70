"""One decision, end to end: read, plan, count atomically, answer, log. No web framework here.

The answer never waits for more than the latency budget on Redis: every call has a short
socket timeout, a circuit breaker skips Redis while it is failing, and whenever Redis
cannot be used the answer is the default content (or nothing) with ``degraded: true``.
Caps are counted by one Lua script per decision (all or nothing); if a concurrent request
took a cap meanwhile, the campaign is excluded and the plan is made again (bounded).
A client may send ``request_id``: a resend within 10 minutes gets the same answer and
counts nothing (clients resend).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

import orjson
import redis

from core.clock import MINUTE_MS, now_ms
from ingest.enrich import user_agent_fields
from tagging.profiles.contacts import ContactKeys, ContactScripts, Reservation, periods, request_key, seen_member
from touchpoints import metrics
from touchpoints.breaker import CircuitBreaker
from touchpoints.catalog import unknown_slot
from touchpoints.decide import DecisionInput, Plan, plan
from touchpoints.decision_log import DecisionLog, bounded
from touchpoints.facts import EMPTY, today_in
from touchpoints.live import LiveCampaigns, SnapshotReader
from touchpoints.model import Content, KnowledgeBase

logger = logging.getLogger(__name__)

MAX_PLAN_ATTEMPTS = 6


class UnknownSlot(ValueError):
    """A requested slot is neither in the contract nor created (as of the store's version)."""

    def __init__(self, slot_id: str) -> None:
        super().__init__(slot_id)
        self.slot_id = slot_id


@dataclass(frozen=True)
class DecisionRequest:
    """A validated request (touchpoints/api.py checks every parameter)."""

    user_id: str
    channel: str
    slots: list[str]  # full slot ids, in page order
    zone: ZoneInfo  # the user's time zone, for quiet hours
    context: str | None = None
    request_id: str | None = None  # the client's, for resends
    session_id: str = ""
    page: str = ""
    ip: str = ""
    user_agent: str = ""


@dataclass(frozen=True)
class ServiceConfig:
    prefix: str
    zone: ZoneInfo  # the operator's calendar: cap periods, "today"
    budget_s: float
    marketing_cap_month: int


@dataclass
class Outcome:
    body: bytes
    degraded: bool
    replayed: bool = False
    slot_results: list[tuple[str, str]] = field(default_factory=list)  # (tier or "none", reason)


@lru_cache(maxsize=4096)
def _content(content: Content) -> dict[str, Any]:
    return content.model_dump(exclude_none=True)


class DecisionService:
    """Decides requests; safe for the threads of a worker (each uses its own connection)."""

    def __init__(
        self,
        connect: Callable[[], redis.Redis],
        live: LiveCampaigns,
        knowledge_base: KnowledgeBase,
        config: ServiceConfig,
        breaker: CircuitBreaker,
        log: DecisionLog | None,
    ) -> None:
        self.connect = connect  # a single-connection client: no pool checkout per command
        self.live = live
        self.knowledge_base = knowledge_base
        self.config = config
        self.breaker = breaker
        self.log = log
        self._local = threading.local()
        registry = live.store.client  # scripts are registered once and run on any connection
        self.scripts = ContactScripts(registry)
        self.reader = SnapshotReader(registry, config.prefix, live.store.keys.version)

    def client(self) -> redis.Redis:
        """This thread's connection (connecting raises RedisError while Redis is down)."""
        client = getattr(self._local, "client", None)
        if client is None:
            client = self._local.client = self.connect()
        return client

    def decide(self, request: DecisionRequest) -> Outcome:
        now = now_ms()
        deadline = time.monotonic() + self.config.budget_s
        local_time = dt.datetime.fromtimestamp(now / 1000, request.zone).time()
        contact_keys = ContactKeys.of(self.config.prefix, request.user_id, periods(now, self.config.zone))
        base = os.urandom(10).hex()
        request_id = request.request_id or base
        decision_ids = [f"{base}-{i}" for i in range(len(request.slots))]

        snapshot = None
        if self.breaker.allow():
            try:
                started = time.perf_counter()
                client = self.client()
                snapshot = self.reader.read(client, request.user_id, contact_keys, now, today_in(self.config.zone, now))
                campaigns = self.live.refresh(snapshot.version)
                metrics.REDIS_READ_LATENCY.observe(time.perf_counter() - started)
                self.breaker.success()
            except redis.RedisError as exc:
                self._redis_failed("read", exc)
                snapshot = None
            unknown = [s for s in request.slots if snapshot is not None and s not in campaigns.slots]
            if unknown:
                raise UnknownSlot(unknown[0])

        excluded: dict[str, str] = {}
        for _attempt in range(MAX_PLAN_ATTEMPTS):
            if snapshot is None:
                break
            inputs = DecisionInput(
                request.user_id, [campaigns.slots[s] for s in request.slots], now, local_time, request.context
            )
            result = plan(
                inputs,
                campaigns,
                self.knowledge_base,
                snapshot.facts,
                snapshot.counters,
                self.config.marketing_cap_month,
                excluded,
            )
            body = self._answer(request, request_id, decision_ids, result, degraded=False)
            if not result.reservations and request.request_id is None:
                return self._finish(request, request_id, decision_ids, result, body, now, degraded=False)
            if time.monotonic() > deadline:
                # a busy worker, not a broken Redis: counted in touchstream_touchpoints_degraded_total
                logger.debug("decision for %s over budget before counting; answering degraded", request.user_id)
                break
            reservations = [
                Reservation(
                    campaign=c.id,
                    slot=request.slots[index],
                    marketing=c.marketing,
                    per_day=c.campaign.caps.per_day,
                    per_week=c.campaign.caps.per_week,
                    lifetime=c.campaign.caps.lifetime,
                    cooldown_ms=c.campaign.caps.cooldown_minutes * MINUTE_MS,
                    seen=seen_member(decision_ids[index], c.id),
                )
                for c, index in result.reservations
            ]
            stored = (
                (request_key(self.config.prefix, request.user_id, request.request_id), body)
                if request.request_id
                else None
            )
            try:
                started = time.perf_counter()
                counted = self.scripts.reserve(
                    contact_keys, reservations, now, self.config.marketing_cap_month, stored, client
                )
                metrics.REDIS_RESERVE_LATENCY.observe(time.perf_counter() - started)
                self.breaker.success()
            except redis.RedisError as exc:
                self._redis_failed("reserve", exc)
                break
            if counted.replay is not None:
                return Outcome(self._replayed(counted.replay), degraded=False, replayed=True)
            if counted.ok:
                return self._finish(request, request_id, decision_ids, result, body, now, degraded=False)
            metrics.RESERVE_CONFLICTS.inc()
            excluded.update(counted.failed)
        else:
            logger.warning("decision for %s: caps kept changing over %d attempts", request.user_id, MAX_PLAN_ATTEMPTS)
        return self._degraded(request, request_id, decision_ids, now, local_time)

    def _degraded(
        self, request: DecisionRequest, request_id: str, decision_ids: list[str], now: int, local_time: dt.time
    ) -> Outcome:
        """Default content from memory, nothing counted: Redis is unavailable or too slow."""
        campaigns = self.live.current.only_default()
        slots = [campaigns.slots.get(s) or unknown_slot(s) for s in request.slots]  # not seen: maybe created
        inputs = DecisionInput(request.user_id, slots, now, local_time, request.context)
        result = plan(inputs, campaigns, self.knowledge_base, EMPTY, None, self.config.marketing_cap_month)
        for slot in result.slots:
            slot.reason = "degraded"
        body = self._answer(request, request_id, decision_ids, result, degraded=True)
        return self._finish(request, request_id, decision_ids, result, body, now, degraded=True)

    def _redis_failed(self, step: str, exc: Exception) -> None:
        self.breaker.failure()
        metrics.REDIS_ERRORS.labels(step).inc()
        logger.warning("redis %s failed (%s: %s); answering degraded", step, type(exc).__name__, exc)

    def _answer(
        self, request: DecisionRequest, request_id: str, decision_ids: list[str], result: Plan, degraded: bool
    ) -> bytes:
        slots = []
        for decision_id, slot in zip(decision_ids, result.slots, strict=True):
            slots.append(
                {
                    "slot": slot.slot.id,
                    "decision_id": decision_id,
                    "reason": slot.reason,
                    "items": [
                        {
                            "decision_id": decision_id,
                            "campaign_id": item.campaign.id,
                            "tier": item.campaign.tier,
                            "content": _content(item.content),
                            "reason": item.reason,
                        }
                        for item in slot.items
                    ],
                }
            )
        return orjson.dumps(
            {
                "request_id": request_id,
                "user_id": request.user_id,
                "channel": request.channel,
                "degraded": degraded,
                "replayed": False,
                "slots": slots,
            }
        )

    @staticmethod
    def _replayed(stored: bytes) -> bytes:
        answer = orjson.loads(stored)
        answer["replayed"] = True
        return orjson.dumps(answer)

    def _finish(
        self,
        request: DecisionRequest,
        request_id: str,
        decision_ids: list[str],
        result: Plan,
        body: bytes,
        now: int,
        degraded: bool,
    ) -> Outcome:
        outcome = Outcome(body, degraded)
        records = []
        browser, os_name, device = user_agent_fields(request.user_agent)
        for decision_id, slot in zip(decision_ids, result.slots, strict=True):
            shown: dict[str, str] = {}  # campaign -> tier, in item order
            for item in slot.items:
                shown.setdefault(item.campaign.id, item.campaign.tier)
            campaigns, tiers = list(shown), list(shown.values())
            outcome.slot_results.append((tiers[0] if tiers else "none", slot.reason))
            records.append(
                {  # the collector's record layout, keys in its order (docs/CONTRACTS.md)
                    "event_id": decision_id,
                    "user_id": request.user_id,
                    "channel": request.channel,
                    "event": "touchpoint_decision",
                    "ts": now,
                    "client_ts": now,
                    "sent_at": None,
                    "session_id": request.session_id,
                    "page": request.page,
                    "props": {
                        "decision_id": decision_id,
                        "request_id": request_id,
                        "slot": slot.slot.id,
                        "campaigns": ",".join(campaigns),
                        "tiers": ",".join(tiers),
                        "contents": ",".join(item.content.id for item in slot.items),
                        "reason": slot.reason,
                        "suppressed": bounded(slot.suppressed),
                        "holdout": ",".join(slot.holdout),
                        "degraded": degraded,
                    },
                    "received_at": now,
                    "ip": request.ip,
                    "ua_browser": browser,
                    "ua_os": os_name,
                    "ua_device": device,
                }
            )
        if self.log is not None:
            self.log.submit(records)
        return outcome
