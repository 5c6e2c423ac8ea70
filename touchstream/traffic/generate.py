"""Generate a deterministic synthetic world of tracked events.

Each (user, day) draws from its own ``random.Random`` seeded by ``(seed, user, day)``,
so output depends only on the arguments and world.yaml, never on iteration details.
Days are produced one at a time and sorted, so memory holds one day, not the world.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import accumulate
from pathlib import Path
from typing import Any

import orjson

from core.clock import DAY_MS
from core.contract import default_catalogue
from touchstream.traffic.world import World, default_world


@dataclass(frozen=True)
class UserProfile:
    index: int
    user_id: str
    home: str
    interests: tuple[str, ...]
    interest_cum: tuple[float, ...]
    quiet_from_day: int | None


@dataclass(frozen=True)
class GenerateReport:
    path: Path
    users: int
    days: int
    seed: int
    start_ms: int
    events: int
    seconds: float

    @property
    def events_per_s(self) -> float:
        return self.events / self.seconds if self.seconds else 0.0


def default_start_ms(days: int, now: float | None = None) -> int:
    """UTC midnight ``days`` days before today: the world ends at the start of today."""
    today = dt.datetime.fromtimestamp(now if now is not None else time.time(), dt.UTC).date()
    start = today - dt.timedelta(days=days)
    return int(dt.datetime(start.year, start.month, start.day, tzinfo=dt.UTC).timestamp() * 1000)


class _WorldGenerator:
    def __init__(self, world: World, users: int, days: int, seed: int, start_ms: int) -> None:
        self.world = world
        self.users = users
        self.days = days
        self.seed = seed
        self.start_ms = start_ms
        self.catalogue = default_catalogue()
        channels = list(world.channels.home_mix)
        self.channels = channels
        self.channel_cum = list(accumulate(world.channels.home_mix[c] for c in channels))
        self.hour_cum = list(accumulate(world.activity.hour_weights))
        self.flows_by_business: dict[str, list[str]] = {}
        for name in world.flows.behaviour:
            self.flows_by_business.setdefault(self.catalogue.flows[name].business, []).append(name)
        self.slots_by_channel: dict[str, list[str]] = {}
        for name, slot in self.catalogue.slots.items():
            self.slots_by_channel.setdefault(slot.channel, []).append(name)
        self.profiles = [self._profile(i) for i in range(users)]

    def _profile(self, index: int) -> UserProfile:
        rng = random.Random(f"{self.seed}:user:{index}")
        home = rng.choices(self.channels, cum_weights=self.channel_cum)[0]
        interests = tuple(self.world.business_interest)
        weights = [self.world.business_interest[b] * rng.uniform(0.2, 1.8) for b in interests]
        quiet = None
        if self.days >= 3 and rng.random() < self.world.activity.quiet_user_fraction:
            quiet = rng.randint(self.days // 2, self.days - 1)
        return UserProfile(index, f"u{index:07d}", home, interests, tuple(accumulate(weights)), quiet)

    def days_of_events(self) -> Iterator[list[dict[str, Any]]]:
        for day in range(self.days):
            events: list[dict[str, Any]] = []
            for profile in self.profiles:
                _UserDay(self, profile, day, events).run()
            events.sort(key=lambda e: (e["ts"], e["event_id"]))
            yield events


class _UserDay:
    """One user's day: sessions, flows, shares, touchpoints and back-end events."""

    def __init__(self, gen: _WorldGenerator, profile: UserProfile, day: int, out: list[dict[str, Any]]) -> None:
        self.gen = gen
        self.world = gen.world
        self.profile = profile
        self.day = day
        self.out = out
        self.rng = random.Random(f"{gen.seed}:{profile.index}:{day}")
        self.day_start = gen.start_ms + day * DAY_MS
        self.day_end = self.day_start + DAY_MS - 1
        self.counter = 0

    def run(self) -> None:
        activity = self.world.activity
        quiet = self.profile.quiet_from_day
        if (quiet is None or self.day < quiet) and self.rng.random() < activity.active_day_prob:
            for s in range(self.rng.randint(*activity.sessions_per_active_day)):
                self.session(s)
        for name, prob in self.world.business_events.items():
            if self.rng.random() < prob:
                self.business_event(name)

    def emit(
        self,
        event: str,
        ts: int,
        channel: str,
        session: str,
        page: str,
        props: dict[str, Any],
        user_id: str | None = None,
    ) -> None:
        self.counter += 1
        self.out.append(
            {
                "event_id": f"g{self.gen.seed:x}-{self.profile.index:x}-{self.day:x}-{self.counter:x}",
                "user_id": user_id or self.profile.user_id,
                "channel": channel,
                "event": event,
                "ts": ts,
                "session_id": session,
                "page": page,
                "props": props,
            }
        )

    def pick_business(self) -> str:
        return self.rng.choices(self.profile.interests, cum_weights=self.profile.interest_cum)[0]

    def step_gap(self) -> int:
        return self.rng.randint(*self.world.activity.seconds_between_events) * 1000 + self.rng.randint(0, 999)

    def session(self, number: int) -> None:
        rng, world = self.rng, self.world
        hour = rng.choices(range(24), cum_weights=self.gen.hour_cum)[0]
        ts = self.day_start + hour * 3_600_000 + rng.randint(0, 3_599_999)
        channel = self.profile.home
        if rng.random() < world.channels.other_channel_prob:
            channel = rng.choice(self.gen.channels)
        session = f"s{self.profile.index:x}-{self.day:x}-{number}"
        clock = [ts]

        def tick() -> int | None:
            clock[0] += self.step_gap()
            return clock[0] if clock[0] <= self.day_end else None

        for _ in range(rng.randint(*world.activity.page_views_per_session)):
            at = tick()
            if at is None:
                return
            business = self.pick_business()
            self.emit(
                "page_view",
                at,
                channel,
                session,
                f"/{business}/{rng.choice(('home', 'detail', 'offers'))}",
                {"business": business},
            )
            if rng.random() < world.activity.click_prob_per_view:
                at = tick()
                if at is None:
                    return
                self.emit(
                    "click",
                    at,
                    channel,
                    session,
                    f"/{business}/detail",
                    {"element": rng.choice(("buy", "details", "compare", "back")), "business": business},
                )
        tp = world.touchpoints
        for _ in range(rng.randint(*tp.exposures_per_session)):
            at = tick()
            if at is None:
                return
            slot, campaign = rng.choice(self.gen.slots_by_channel[channel]), rng.choice(tp.campaigns)
            props = {
                "slot": slot,
                "campaign": campaign,
                "content_id": f"{campaign}-{slot}",
                "decision_id": f"d{rng.getrandbits(48):012x}",
            }
            self.emit("touchpoint_exposure", at, channel, session, "/home", props)
            if rng.random() < tp.click_prob:
                at = tick()
                if at is None:
                    return
                self.emit("touchpoint_click", at, channel, session, "/home", dict(props))
        if rng.random() < world.flows.start_prob_per_session:
            self.flow(channel, session, tick)
        if rng.random() < world.shares.prob_per_session:
            at = tick()
            if at is not None:
                self.share(channel, session, at)

    def flow(self, channel: str, session: str, tick: Any) -> None:
        rng, world = self.rng, self.world
        business = self.pick_business()
        candidates = self.gen.flows_by_business.get(business)
        if not candidates:
            return
        name = rng.choice(candidates)
        flow = self.gen.catalogue.flows[name]
        behaviour = world.flows.behaviour[name]
        factor = behaviour.channel_factor.get(channel, 1.0)
        step = 1
        while True:
            at = tick()
            if at is None:
                return
            self.emit(
                "flow_step",
                at,
                channel,
                session,
                f"/{business}/{name}/{flow.steps[step - 1]}",
                {"flow": name, "step": step, "business": business},
            )
            if step == flow.last_step or rng.random() >= min(0.98, behaviour.continue_[step - 1] * factor):
                break
            step += 1
        if step == flow.last_step and rng.random() < world.flows.order_after_last_step_prob:
            at = tick()
            if at is None:
                return
            product = world.products[business]
            self.emit(
                "order_success",
                at,
                channel,
                session,
                f"/{business}/{name}/done",
                {
                    "business": business,
                    "product": rng.choice(product.names),
                    "flow": name,
                    "amount": round(rng.uniform(*product.amount), 2),
                },
            )

    def share(self, channel: str, session: str, at: int) -> None:
        rng, world = self.rng, self.world
        business = self.pick_business()
        share_id = f"sh{self.gen.seed:x}-{self.profile.index:x}-{self.day:x}-{self.counter:x}"
        campaign = rng.choice(world.shares.campaigns)
        self.emit(
            "share",
            at,
            channel,
            session,
            f"/{business}/offers",
            {"business": business, "campaign": campaign, "share_id": share_id},
        )
        if self.gen.users < 2:
            return
        for v in range(rng.randint(*world.shares.visits_per_share)):
            visitor = self.gen.profiles[rng.randrange(self.gen.users)]
            if visitor.index == self.profile.index:
                continue
            visit_at = min(at + rng.randint(60, 6 * 3600) * 1000, self.day_end)
            self.emit(
                "page_view",
                visit_at,
                visitor.home,
                f"r{share_id}-{v}",
                f"/{business}/offers",
                {"business": business, "ref_share_id": share_id},
                user_id=visitor.user_id,
            )

    def business_event(self, name: str) -> None:
        rng = self.rng
        at = self.day_start + rng.randint(0, DAY_MS - 1)
        props: dict[str, Any]
        if name == "data_usage":
            props = {"used_pct": rng.choice((80, 90, 100, 120))}
        elif name == "topup":
            props = {"amount": rng.choice((30, 50, 100, 200))}
        elif name == "balance_low":
            props = {"balance": round(rng.uniform(0, 10), 2)}
        elif name == "arrears":
            props = {"amount_due": round(rng.uniform(5, 300), 2)}
        elif name == "broadband_contract":
            expires = dt.date.fromtimestamp(at / 1000) + dt.timedelta(days=rng.randint(3, 90))
            props = {"expires_on": expires.isoformat()}
        elif name == "unsubscribe":
            props = {"product": rng.choice(self.world.products["new_services"].names)}
        else:
            props = {}
        self.emit(name, at, self.profile.home, "", "", props)


def generate_world(
    users: int, days: int, seed: int, start_ms: int | None = None, world: World | None = None
) -> Iterator[dict[str, Any]]:
    """Events of the world in time order, one day in memory at a time."""
    if users < 1 or days < 1:
        raise ValueError("users and days must be at least 1")
    start = default_start_ms(days) if start_ms is None else start_ms
    generator = _WorldGenerator(world or default_world(), users, days, seed, start)
    for day in generator.days_of_events():
        yield from day


def write_world(
    path: Path, users: int, days: int, seed: int, start_ms: int | None = None, world: World | None = None
) -> GenerateReport:
    """Write the world as JSON lines; same arguments, same bytes."""
    started = time.perf_counter()
    start = default_start_ms(days) if start_ms is None else start_ms
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    tmp = path.with_name(path.name + ".part")
    with tmp.open("wb") as handle:
        buffer: list[bytes] = []
        for event in generate_world(users, days, seed, start, world):
            buffer.append(orjson.dumps(event))
            count += 1
            if len(buffer) >= 10_000:
                handle.write(b"\n".join(buffer) + b"\n")
                buffer.clear()
        if buffer:
            handle.write(b"\n".join(buffer) + b"\n")
    tmp.replace(path)
    return GenerateReport(path, users, days, seed, start, count, time.perf_counter() - started)
