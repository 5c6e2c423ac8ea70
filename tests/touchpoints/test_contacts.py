"""Contact counters in Redis (tagging/profiles/contacts.py): the atomic reservation, its
agreement with the planner's snapshot check, resends, and exposures counted exactly once."""

from __future__ import annotations

import datetime as dt
import random
from zoneinfo import ZoneInfo

import pytest
import redis

from core.clock import DAY_MS, MINUTE_MS
from tagging.profiles.contacts import (
    ContactKeys,
    ContactScripts,
    Counters,
    Exposure,
    Reservation,
    count_exposures,
    exempt_key,
    periods,
    request_key,
    seen_member,
)
from tests.touchpoints.builders import campaign_dict
from touchpoints.decide import cap_reason
from touchpoints.definitions import DefinitionContext

pytestmark = pytest.mark.integration

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = int(dt.datetime(2026, 3, 10, 15, 30, tzinfo=dt.UTC).timestamp() * 1000)  # 23:30 in Shanghai


def keys(user: str = "u1", at: int = NOW) -> ContactKeys:
    return ContactKeys.of("ts", user, periods(at, SHANGHAI))


def read(client: redis.Redis, k: ContactKeys) -> Counters:
    return Counters.from_hashes(*(client.hgetall(x) for x in (k.day, k.week, k.month, k.life)))


def test_periods_are_the_operators_calendar() -> None:
    assert periods(NOW, SHANGHAI).day == "20260310"
    assert periods(NOW + 31 * MINUTE_MS, SHANGHAI).day == "20260311"  # past midnight in Shanghai, not in UTC
    assert periods(NOW, ZoneInfo("UTC")).day == "20260310"
    assert periods(NOW, SHANGHAI).week == "2026W11" and periods(NOW, SHANGHAI).month == "202603"


def test_reservations_are_all_or_nothing(redis_client: redis.Redis) -> None:
    scripts = ContactScripts(redis_client)
    ok = Reservation("a", "app.login_popup", True, per_day=1, seen="d-0:a")
    second = Reservation("b", "app.home_floor", True, seen="d-1:b")
    assert scripts.reserve(keys(), [ok], NOW, 15).ok
    result = scripts.reserve(keys(), [second, ok], NOW, 15)
    assert not result.ok and result.failed == {"a": "cap_day"}
    assert read(redis_client, keys()).day == {"a": 1}  # b was not counted either
    assert scripts.reserve(keys(), [second], NOW, 15).ok
    assert read(redis_client, keys()).marketing_month == 2


def test_the_monthly_cap_counts_the_reservations_of_the_same_call(redis_client: redis.Redis) -> None:
    scripts = ContactScripts(redis_client)
    batch = [Reservation(f"c{i}", "app.home_floor", True) for i in range(3)]
    result = scripts.reserve(keys(), batch, NOW, 2)
    assert result.failed == {"c2": "cap_month"}


def test_lua_and_planner_agree_on_every_cap(redis_client: redis.Redis, context: DefinitionContext) -> None:
    """The planner's snapshot check and the atomic check in Redis must say the same."""
    rng = random.Random(7)
    scripts = ContactScripts(redis_client)
    for trial in range(150):
        redis_client.flushdb()
        caps = {
            "per_day": rng.choice([None, 1, 2, 3]),
            "per_week": rng.choice([None, 2, 4]),
            "lifetime": rng.choice([None, 3, 6]),
            "cooldown_minutes": rng.choice([0, 10]),
        }
        marketing = rng.random() < 0.7
        campaign = context.parse_campaign(
            campaign_dict(
                "c",
                caps={**caps, "marketing_cap_exempt": not marketing},
                category="marketing" if marketing else "service",
            )
        )
        k = keys(f"t{trial}")
        for _ in range(rng.randint(0, 5)):  # history: past contacts in random slots
            slot = rng.choice(["app.login_popup", "app.home_floor"])
            at = NOW - rng.randint(0, 20) * MINUTE_MS
            redis_client.hincrby(k.day, "c", 1)
            redis_client.hincrby(k.week, "c", 1)
            redis_client.hincrby(k.life, "c", 1)
            redis_client.hset(k.life, "last:c", f"{at}|{slot}")
        redis_client.hset(k.month, "_marketing", rng.randint(0, 3))
        slot = rng.choice(["app.login_popup", "app.home_floor"])
        snapshot = read(redis_client, k)
        expected = cap_reason(campaign, slot, snapshot, snapshot.marketing_month, 3, NOW)
        reservation = Reservation(
            "c",
            slot,
            campaign.marketing,
            caps["per_day"],
            caps["per_week"],
            caps["lifetime"],
            caps["cooldown_minutes"] * MINUTE_MS,
        )
        result = scripts.reserve(k, [reservation], NOW, 3)
        assert result.ok == (expected is None), (trial, caps, snapshot, expected, result)
        assert result.failed.get("c") == expected


def test_a_resent_request_gets_its_stored_answer(redis_client: redis.Redis) -> None:
    scripts = ContactScripts(redis_client)
    request = (request_key("ts", "u1", "r1"), b'{"answer": 1}')
    first = scripts.reserve(keys(), [Reservation("a", "app.banner", True)], NOW, 15, request)
    again = scripts.reserve(keys(), [Reservation("a", "app.banner", True)], NOW, 15, (request[0], b'{"answer": 2}'))
    assert first.ok and again.replay == b'{"answer": 1}'
    assert read(redis_client, keys()).day == {"a": 1}
    assert 0 < redis_client.pttl(request[0]) <= 10 * 60 * 1000


def test_exposures_of_counted_decisions_are_not_counted_again(redis_client: redis.Redis) -> None:
    scripts = ContactScripts(redis_client)
    scripts.reserve(keys(), [Reservation("a", "app.banner", True, seen=seen_member("dec1-0", "a"))], NOW, 15)
    redis_client.sadd(exempt_key("ts"), "svc")
    later = NOW + 5_000
    counted = count_exposures(
        redis_client,
        "ts",
        [
            Exposure("u1", "a", "app.banner", "dec1-0", later),  # decided and counted: skip
            Exposure("u1", "a", "app.banner", "dec1-0", later),  # the client resent it: skip
            Exposure("u1", "a", "app.banner", "dec2-0", later),  # decided while Redis was down: count
            Exposure("u1", "svc", "app.reminder", "dec3-0", later),  # exempt from the marketing cap
            Exposure("u1", "b", "app.banner", "", later),  # no decision id: counted
        ],
        "Asia/Shanghai",
    )
    assert counted == [False, False, True, True, True]
    assert count_exposures(redis_client, "ts", [Exposure("u1", "a", "app.banner", "dec2-0", later)], SHANGHAI) == [
        False
    ]
    counters = read(redis_client, keys())
    assert counters.day == {"a": 2, "svc": 1, "b": 1}
    assert counters.marketing_month == 3  # a twice, b once; svc is exempt
    assert counters.last["a"] == (later, "app.banner")
    assert count_exposures(redis_client, "ts", [], SHANGHAI) == []


def test_counters_expire(redis_client: redis.Redis) -> None:
    ContactScripts(redis_client).reserve(keys(), [Reservation("a", "app.banner", True, seen="x:a")], NOW, 15)
    k = keys()
    assert 0 < redis_client.ttl(k.day) <= 2 * DAY_MS // 1000
    assert 0 < redis_client.ttl(k.week) <= 8 * DAY_MS // 1000
    assert 0 < redis_client.ttl(k.month) <= 32 * DAY_MS // 1000
    assert 0 < redis_client.ttl(k.life) <= 400 * DAY_MS // 1000
    assert 0 < redis_client.ttl(k.seen) <= 40 * DAY_MS // 1000
