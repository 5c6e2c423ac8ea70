"""The stream job counts touchpoint exposures against the touchpoint service's caps, once each."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

import orjson
import pytest
import redis

from core.config import load_settings
from flink_jobs.backfill import run_backfill
from flink_jobs.options import JobOptions
from tagging.profiles.contacts import ContactKeys, periods, seen_member
from tests.flink_jobs import data

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(240)]

ZONE = "Asia/Shanghai"


def exposure(n: int, user: str, campaign: str, decision: str, ts: int) -> dict:
    props = {"slot": "app.home_floor", "campaign": campaign, "content_id": "c", "decision_id": decision}
    return {**data._event(n, user, "touchpoint_exposure", ts), "props": props}


def test_exposures_count_once_and_decided_ones_are_not_counted_again(tmp_path: Path, redis_socket: Path) -> None:
    client = redis.Redis(unix_socket_path=str(redis_socket))
    client.flushdb()
    t = data.T0
    keys = ContactKeys.of("ts", "u1", periods(t + 40, ZoneInfo(ZONE)))
    client.zadd(keys.seen, {seen_member("d-decided", "bb_renew"): t})  # the service counted this decision itself
    events = [
        exposure(1, "u1", "bb_renew", "d-decided", t),
        exposure(2, "u1", "bb_renew", "d-cached", t + 1000),  # a frontend showed cached content: count it now
        exposure(3, "u1", "dp_offer", "d-other", t + 2000),
    ]
    files = data.write_segments(tmp_path / "events", [[orjson.dumps(e) for e in events] * 2])  # and resent
    settings = load_settings(env={"TOUCHSTREAM_REDIS_URL": f"unix://{redis_socket}"}, home=tmp_path / "home")
    options = JobOptions(horizon_ms=t + 60_000, contacts_timezone=ZONE)
    run_backfill(settings, files, options)
    day = {k.decode(): int(v) for k, v in client.hgetall(keys.day).items()}
    assert day.get("bb_renew") == 1 and day.get("dp_offer") == 1
    assert client.zscore(keys.seen, seen_member("d-cached", "bb_renew")) is not None
