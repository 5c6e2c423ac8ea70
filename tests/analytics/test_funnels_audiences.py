"""Saving drop-offs as an audience: live tags in a real Redis, membership loaded into both engines."""

from __future__ import annotations

import orjson
import pytest
import redis

from analytics.audiences import AudienceOrigin, audience_source, save_audience
from analytics.funnels import FunnelInputError
from core.clock import DAY_MS
from core.config import Settings
from tagging.profiles import RedisProfileStore
from warehouse import Warehouse
from warehouse.loader import Loader

NOW = 1_790_000_000_000


@pytest.fixture
def live(settings: Settings, redis_url: str, redis_client: redis.Redis) -> Settings:
    """Settings whose profiles live in the test's real Redis."""
    return settings.with_overrides(redis_url=redis_url)


def test_saved_audience_is_a_live_tag_with_its_expiry(live: Settings, redis_client: redis.Redis) -> None:
    saved = save_audience(live, "plan_tier_dropouts", ["u1", "u2", "u1"], NOW + 7 * DAY_MS, now_ms=NOW)
    assert (saved.tag, saved.users) == ("audience:plan_tier_dropouts", 2)
    assert redis_client.hget("ts:{u1}:tags", "audience:plan_tier_dropouts") == f"{NOW}:{NOW + 7 * DAY_MS}".encode()
    store = RedisProfileStore(redis_client)
    tags = store.get_profile("u2", now_ms=NOW + DAY_MS)["tags"]
    assert tags == [{"tag": "audience:plan_tier_dropouts", "set_at": NOW, "expires_at": NOW + 7 * DAY_MS}]
    assert store.get_profile("u2", now_ms=NOW + 7 * DAY_MS)["tags"] == []  # expired at the operator's date
    # saving again refreshes (a later expiry wins), it does not duplicate
    save_audience(live, "plan_tier_dropouts", ["u2"], NOW + 9 * DAY_MS, now_ms=NOW + 1000)
    assert store.get_profile("u2")["tags"][0]["expires_at"] == NOW + 9 * DAY_MS


def test_membership_file_is_published_whole_and_loads_once(live: Settings, wh: Warehouse) -> None:
    origin = AudienceOrigin(funnel="plan_upgrade", step_index=2, step_name="choose_upgrade_tier", breakdown_value="web")
    saved = save_audience(live, "web_tier", ["a", "b", "c"], NOW + DAY_MS, origin, now_ms=NOW)
    assert saved.file.parent == live.home / "audiences"
    assert [p.name for p in saved.file.parent.iterdir()] == [saved.file.name]  # no hidden leftover
    lines = [orjson.loads(line) for line in saved.file.read_bytes().splitlines()]
    assert [line["user_id"] for line in lines] == ["a", "b", "c"]
    loader = Loader(wh, [audience_source(live)])
    assert loader.load_pending().rows == 3
    assert Loader(wh, [audience_source(live)]).load_pending().rows == 0
    rows = wh.query(
        "SELECT audience, user_id, saved_ms, expires_at_ms, funnel, step_index, step_name, breakdown_value "
        "FROM audiences ORDER BY user_id"
    ).rows
    assert rows[0] == ("web_tier", "a", NOW, NOW + DAY_MS, "plan_upgrade", 2, "choose_upgrade_tier", "web")
    assert len(rows) == 3


@pytest.mark.parametrize("name", ["", "Upper", "has-dash", "a" * 49, "x;DROP TABLE audiences_raw", "ünï", "a b"])
def test_bad_audience_names_are_refused(live: Settings, name: str, redis_client: redis.Redis) -> None:
    with pytest.raises(FunnelInputError) as caught:
        save_audience(live, name, ["u1"], NOW + DAY_MS, now_ms=NOW)
    assert caught.value.reason == "bad_audience_name"
    assert redis_client.keys("*") == []


@pytest.mark.parametrize(
    ("users", "expires", "expected"),
    [(["u1"], NOW, "expiry_in_past"), ([], NOW + DAY_MS, "empty_audience"), ([""], NOW + DAY_MS, "bad_user_id")],
)
def test_bad_saves_are_refused_before_anything_is_written(
    live: Settings, redis_client: redis.Redis, users: list[str], expires: int, expected: str
) -> None:
    with pytest.raises(FunnelInputError) as caught:
        save_audience(live, "ok", users, expires, now_ms=NOW)
    assert caught.value.reason == expected
    assert redis_client.keys("*") == []
    assert not (live.home / "audiences").exists()


def test_a_bad_line_in_an_audience_file_is_skipped_not_fatal(live: Settings, wh: Warehouse) -> None:
    directory = live.home / "audiences"
    directory.mkdir(parents=True)
    good = {"audience": "ok", "user_id": "u", "saved_ms": NOW, "expires_at_ms": NOW + 1}
    bad = good | {"audience": "Bad Name"}
    (directory / "1-ok.jsonl").write_bytes(orjson.dumps(good) + b"\n" + orjson.dumps(bad) + b"\nnot json\n")
    report = Loader(wh, [audience_source(live)]).load_pending()
    assert (report.rows, report.bad_lines) == (1, 2)
