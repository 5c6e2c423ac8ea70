"""The Redis profile store against a real redis-server: idempotent, pipelined, readable."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import pytest
import redis

from core.config import Settings
from tagging.changes import TagChange
from tagging.engine import TagEngine
from tagging.profiles import connect, open_store, read_profile, stop_embedded
from tagging.profiles.embedded import embedded_running
from tagging.profiles.keys import tags_key, utc_date
from tagging.profiles.redis_store import RedisProfileStore
from tagging.state import UserState
from tests.tagging.builders import DAY, MINUTE, T0, ev, order, step

pytestmark = pytest.mark.integration


def change(tag: str, action: str, ts: int, seq: int, expires: int | None = None, user: str = "u1") -> TagChange:
    return TagChange(user, tag, action, ts, expires, seq)  # type: ignore[arg-type]


def stream(engine: TagEngine) -> tuple[list[tuple[str, list[TagChange], UserState]], UserState]:
    """Per-event (user, changes, state snapshot) of a user whose tags come and go."""
    events = [
        step(T0, "plan_upgrade", 1, "plan"),
        ev("page_view", T0 + MINUTE, business="plan"),
        ev("page_view", T0 + 2 * MINUTE, business="plan"),
        ev("page_view", T0 + 3 * MINUTE, business="plan"),
        ev("data_usage", T0 + 4 * MINUTE, used_pct=92.5),
        step(T0 + 30 * MINUTE, "plan_upgrade", 3, "plan"),  # set and cleared at the same instant
        order(T0 + DAY, "plan", flow="plan_upgrade"),
    ]
    state, out = UserState(), []
    for e in events:
        changes = engine.on_event(state, e)
        out.append(("u1", changes, UserState.from_bytes(state.to_bytes())))
    return out, state


def test_profile_written_through_the_writer(redis_client: redis.Redis, engine: TagEngine) -> None:
    store = RedisProfileStore(redis_client)
    updates, state = stream(engine)
    with store.writer() as writer:
        for user, changes, snapshot in updates:
            writer.add(user, changes, snapshot.business)
    profile = store.get_profile("u1")
    assert profile["user_id"] == "u1"
    assert {t["tag"] for t in profile["tags"]} == set(state.tags)
    orderer = next(t for t in profile["tags"] if t["tag"] == "orderer:plan")
    assert orderer == {"tag": "orderer:plan", "set_at": T0 + DAY, "expires_at": T0 + 31 * DAY}
    assert profile["state"]["used_pct"] == 92.5 and profile["state"]["last_active_day"] == utc_date(T0 + DAY)
    assert "abandoned_mid_flow:plan_upgrade" not in {t["tag"] for t in profile["tags"]}


def test_replay_after_recovery_leaves_the_same_profile(redis_client: redis.Redis, engine: TagEngine) -> None:
    store = RedisProfileStore(redis_client)
    updates, _ = stream(engine)
    store_all = store.writer(max_pending=3)  # small: flushes by size along the way
    for user, changes, snapshot in updates:
        store_all.add(user, changes, snapshot.business)
    store_all.flush()
    before = store.get_profile("u1")
    raw_before = redis_client.hgetall(tags_key("ts", "u1"))
    # a recovery replays from a checkpoint in the middle: same changes, same seq
    with store.writer() as again:
        for user, changes, snapshot in updates[2:]:
            again.add(user, changes, snapshot.business)
    assert store.get_profile("u1") == before
    assert redis_client.hgetall(tags_key("ts", "u1")) == raw_before


def test_stale_changes_are_ignored_and_same_instant_order_is_kept(redis_client: redis.Redis) -> None:
    store = RedisProfileStore(redis_client)
    store.apply("u1", [change("a", "set", 100, 1, 900), change("a", "cleared", 100, 2)])
    store.apply("u1", [change("a", "set", 100, 1, 900)])  # replayed: not newer than (100, 2)
    assert store.get_profile("u1")["tags"] == []
    store.apply("u1", [change("b", "set", 200, 3, 1000), change("b", "set", 300, 4, 2000)])
    store.apply("u1", [change("b", "cleared", 250, 9)])  # older than the stored (300, 4)
    assert store.get_profile("u1")["tags"] == [{"tag": "b", "set_at": 200, "expires_at": 2000}]
    # a state reset (seq restarts) still wins with newer event time
    store.apply("u1", [change("b", "cleared", 400, 1)])
    assert store.get_profile("u1")["tags"] == []


def test_refresh_alone_restores_the_original_set_at(redis_client: redis.Redis, engine: TagEngine) -> None:
    """After a hard kill Redis may miss the first set and see only a later refresh: the
    refresh carries the original set time, so the profile is the same either way."""
    events = [order(T0, "plan"), order(T0 + DAY, "plan")]
    state, changes = UserState(), []
    for e in events:
        changes += engine.on_event(state, e)
    first, refresh = [c for c in changes if c.tag == "orderer:plan"]
    assert refresh.set_at_ms == first.set_at_ms == T0 and refresh.ts_ms == T0 + DAY
    everything, refresh_only = RedisProfileStore(redis_client, "all"), RedisProfileStore(redis_client, "late")
    everything.apply("u1", [first, refresh])
    refresh_only.apply("u1", [refresh])
    assert everything.get_profile("u1")["tags"] == refresh_only.get_profile("u1")["tags"]
    assert refresh_only.get_profile("u1")["tags"][0]["set_at"] == T0


def test_business_state_keeps_the_newest(redis_client: redis.Redis) -> None:
    store = RedisProfileStore(redis_client)
    new, old = UserState().business, UserState().business
    new.used_pct, new.updated_at = 80.0, 2000
    old.used_pct, old.updated_at = 10.0, 1000
    store.apply("u1", [], new)
    store.apply("u1", [], old)
    assert store.get_profile("u1")["state"]["used_pct"] == 80.0


def test_expired_tags_hidden_when_reading_with_now(redis_client: redis.Redis) -> None:
    store = RedisProfileStore(redis_client)
    store.apply("u1", [change("a", "set", 100, 1, 500), change("b", "set", 100, 2, None)])
    assert [t["tag"] for t in store.get_profile("u1", now_ms=499)["tags"]] == ["a", "b"]
    assert [t["tag"] for t in store.get_profile("u1", now_ms=500)["tags"]] == ["b"]
    assert store.get_profile("nobody") == {"user_id": "nobody", "tags": [], "state": {}}


def test_writer_flushes_by_size_in_one_pipeline(redis_client: redis.Redis) -> None:
    store = RedisProfileStore(redis_client)
    writer = store.writer(max_pending=100)
    for i in range(99):
        writer.add(f"u{i}", [change("x", "set", 1, 1, 5, user=f"u{i}")])
    assert writer.pending == 99 and store.get_profile("u0")["tags"] == []
    writer.add("u99", [change("x", "set", 1, 1, 5, user="u99")])
    assert writer.pending == 0
    assert all(store.get_profile(f"u{i}")["tags"] for i in range(100))


def test_contact_counters(redis_client: redis.Redis) -> None:
    store = RedisProfileStore(redis_client)
    store.increment_contact("u1", "5g-upgrade", "app.banner", T0)
    counts = store.increment_contact("u1", "5g-upgrade", "app.login_popup", T0 + DAY)
    day = dt.datetime.fromtimestamp((T0 + DAY) / 1000, dt.UTC).strftime("%Y%m%d")
    assert counts == {
        "c:5g-upgrade": 2,
        "s:app.login_popup": 1,
        f"c:5g-upgrade:d:{day}": 1,
        f"s:app.login_popup:d:{day}": 1,
    }
    assert store.contacts("u1")["s:app.banner"] == 1
    assert store.contacts("u1")["last:c:5g-upgrade"] == T0 + DAY


def test_connect_from_url(redis_url: str, settings: Settings) -> None:
    client = connect(settings.with_overrides(redis_url=redis_url))
    assert client.ping()
    client.close()


def test_embedded_server_is_shared_by_processes(settings: Settings) -> None:
    try:
        store = open_store(settings)
        store.apply("u1", [change("orderer:plan", "set", 100, 1, 900)])
        assert settings.redis_socket.exists()
        code = (
            "import sys, orjson; from core.config import load_settings; "
            "from tagging.profiles import read_profile; "
            f"home = {str(settings.home)!r}; "
            "print(orjson.dumps(read_profile(load_settings(env={}, home=home), 'u1')).decode())"
        )
        result = subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            timeout=60,
            cwd=Path(__file__).parents[2],
        )
        assert result.returncode == 0, result.stderr
        assert '"tag":"orderer:plan"' in result.stdout
        assert embedded_running(settings)  # the reader used it and left it running
        store.close()
    finally:
        stop_embedded(settings)
    assert not embedded_running(settings)
    # stopped, it saved its db: a read starts it, finds the profile and stops it again
    assert read_profile(settings, "u1")["tags"][0]["tag"] == "orderer:plan"
    assert not embedded_running(settings)
