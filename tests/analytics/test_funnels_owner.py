"""Through a running warehouse owner (`touchstream warehouse`): funnels go through its read-only
endpoint with bound parameters, and saved audiences reach the `audiences` table via its loader."""

from __future__ import annotations

import redis

from analytics.audiences import save_audience
from analytics.funnels import drop_off_users, run_funnel, saved_funnels
from core.clock import DAY_MS
from core.config import Settings
from core.processes import wait_until
from tests.analytics.conftest import T0, flow_step
from tests.warehouse.conftest import publish_job_events
from warehouse.client import run_query


def test_funnel_and_audience_round_trip_through_the_owner(
    owner: Settings, redis_url: str, redis_client: redis.Redis
) -> None:
    records = [flow_step("a", 1, 0, "web"), flow_step("a", 2, 5, "web"), flow_step("b", 1, 0), flow_step("b", 2, 9)]
    records += [flow_step("b", 3, 12), flow_step("c", 1, 3, "wechat")]
    publish_job_events(owner, "part-0-0", records)
    wait_until(lambda: run_query(owner, "SELECT count() FROM events").scalar() == 6, 30, "the loader to load events")
    spec = saved_funnels()["plan_upgrade"].spec()
    assert [s.users for s in run_funnel(spec, owner).steps] == [3, 2, 1, 0]
    dropped = drop_off_users(spec, 2, owner)
    assert [u.user_id for u in dropped] == ["a"]
    save_audience(
        owner.with_overrides(redis_url=redis_url),
        "tier_drop",
        [u.user_id for u in dropped],
        T0 + 30 * DAY_MS,
        now_ms=T0,
    )
    assert redis_client.hexists("ts:{a}:tags", "audience:tier_drop")
    wait_until(
        lambda: run_query(owner, "SELECT count() FROM audiences WHERE audience = 'tier_drop'").scalar() == 1,
        30,
        "the loader to load the audience",
    )
