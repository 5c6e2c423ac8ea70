"""The tag step's key: SQL's USER_SHARD (Java) and Python's shard_key must agree, since the
user's events (keyed in SQL) and its referral credits (keyed in Python) meet in one key."""

from __future__ import annotations

import pytest

from flink_jobs.env import batch_configuration, create_environments
from flink_jobs.options import JobOptions
from flink_jobs.tables import JAVA_FUNCTIONS
from flink_jobs.tagging_ops import shard_key

USERS = ["u0000001", "u0015766", "", "用户-42", "émile", "rocket-🚀", "x" * 200]


@pytest.mark.integration
@pytest.mark.parametrize("shards", [0, 1, 7, 32])
def test_sql_and_python_shards_agree(shards: int) -> None:
    _, t_env = create_environments(batch_configuration(JobOptions()), batch=True)
    t_env.execute_sql(f"CREATE TEMPORARY SYSTEM FUNCTION user_shard AS '{JAVA_FUNCTIONS['user_shard']}' LANGUAGE JAVA")
    table = t_env.from_elements([(u,) for u in USERS], ["user_id"])
    t_env.create_temporary_view("users", table)
    with t_env.sql_query(f"SELECT user_id, user_shard(user_id, {shards}) FROM users").execute().collect() as rows:
        got = {row[0]: row[1] for row in rows}
    assert got == {u: shard_key(u, shards) for u in USERS}
    if shards:
        assert {int(v) for v in got.values()} <= set(range(shards))


def test_python_shards_spread_users() -> None:
    counts = [0] * 32
    for n in range(32_000):
        counts[int(shard_key(f"u{n:07d}", 32))] += 1
    assert min(counts) > 800 and max(counts) < 1200
