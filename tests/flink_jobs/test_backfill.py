"""A backfill (BATCH) over a shuffled backlog equals a streaming run over the same events in order."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
import redis

from core.config import load_settings
from flink_jobs.backfill import run_backfill
from flink_jobs.job import build_job
from flink_jobs.options import JobOptions, JobPaths
from tests.flink_jobs import data
from tests.flink_jobs.outputs import canonical, event_ids, profiles, rows

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(240)]

HORIZON = data.T0 + 2 * 3_600_000  # tag timers fire up to here: abandoned flows close, nothing expires


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory, redis_socket: Path) -> dict[str, Path]:
    """One in-order streaming run and one backfill over shuffled segment names; their homes."""
    url = f"unix://{redis_socket}"
    redis.Redis(unix_socket_path=str(redis_socket)).flushdb()
    events = data.world()
    chunks = data.segment_lines(events, 6)
    # no late event or late fact: batch sorts them in at their own time, streaming at the watermark
    chunks[-1] = [line for line in chunks[-1] if b'"e99999"' not in line and b'"e99998"' not in line]
    homes = {}

    in_order = tmp_path_factory.mktemp("inorder")
    files = data.write_segments(in_order / "events", chunks)
    options = JobOptions(lateness_ms=data.LATENESS_MS, horizon_ms=HORIZON, redis_prefix="inorder")
    job = build_job(files, JobPaths(in_order / "flink"), options, url, continuous=False)
    job.env.execute("in-order")
    homes["inorder"] = in_order

    shuffled = tmp_path_factory.mktemp("shuffled")
    names = [data.segment_name(i) for i in range(len(chunks))]
    random.Random(3).shuffle(names)  # name order no longer matches time order
    assert names != sorted(names)
    files = data.write_segments(shuffled / "events", chunks, names)
    settings = load_settings(env={"TOUCHSTREAM_REDIS_URL": url}, home=shuffled)
    run_backfill(settings, files, JobOptions(lateness_ms=data.LATENESS_MS, horizon_ms=HORIZON, redis_prefix="backfill"))
    homes["backfill"] = shuffled
    homes["chunks"] = chunks  # type: ignore[assignment]
    return homes


def test_counts_and_events_equal(runs: dict[str, Path]) -> None:
    a, b = runs["inorder"] / "flink" / "out", runs["backfill"] / "flink" / "out"
    metrics = rows(a, "minute_metrics")
    assert metrics, "the in-order run produced no minute metrics"
    assert canonical(metrics) == canonical(rows(b, "minute_metrics"))
    assert canonical(rows(a, "events")) == canonical(rows(b, "events"))
    assert rows(a, "late_events") == rows(b, "late_events") == []


def test_duplicates_counted_once(runs: dict[str, Path]) -> None:
    out = runs["backfill"] / "flink" / "out"
    expected = data.unique_ids(runs["chunks"])  # type: ignore[arg-type]
    assert sorted(event_ids(out)) == sorted(expected)
    assert sum(m["events"] for m in rows(out, "minute_metrics")) == len(expected)


def test_bad_lines_are_rejected_with_reason(runs: dict[str, Path]) -> None:
    rejects = rows(runs["backfill"] / "flink" / "out", "rejects")
    assert sorted(r["reason"] for r in rejects) == ["missing user_id", "not a JSON object"]


def test_tags_and_profiles_equal(runs: dict[str, Path], redis_socket: Path) -> None:
    a, b = runs["inorder"] / "flink" / "out", runs["backfill"] / "flink" / "out"
    changes = rows(a, "tag_changes")
    tags = {c["tag"] for c in changes}
    assert {"browser:plan", "abandoned_mid_flow:plan_upgrade"} <= tags, tags
    assert any(t.startswith("referrer:") for t in tags), "no referral credit reached the sharer"
    assert canonical(changes) == canonical(rows(b, "tag_changes"))
    client = redis.Redis(unix_socket_path=str(redis_socket))
    first, second = profiles(client, "inorder", data.USERS), profiles(client, "backfill", data.USERS)
    assert any(p["tags"] for p in first.values())
    assert first == second


@pytest.fixture(scope="module")
def baseline(runs: dict[str, Path], tmp_path_factory: pytest.TempPathFactory, redis_socket: Path) -> Path:
    """The all-Python baseline job (benchmarks/pipeline.py --baseline) over the shuffled backlog."""
    from flink_jobs.python_baseline import build_python_job

    home = tmp_path_factory.mktemp("baseline")
    files = sorted((runs["backfill"] / "events").iterdir())
    options = JobOptions(lateness_ms=data.LATENESS_MS, horizon_ms=HORIZON, redis_prefix="baseline")
    job = build_python_job(files, JobPaths(home / "flink"), options, f"unix://{redis_socket}")
    job.env.execute(job.name)
    return home / "flink" / "out"


def test_python_baseline_writes_the_same_outputs(runs: dict[str, Path], baseline: Path, redis_socket: Path) -> None:
    """The benchmark's ratio compares two jobs that do the same work."""
    sql = runs["backfill"] / "flink" / "out"
    for table in ("events", "minute_metrics", "tag_changes", "profile_states"):
        assert rows(sql, table), table
        assert canonical(rows(sql, table)) == canonical(rows(baseline, table)), table
    assert sorted(r["reason"] for r in rows(baseline, "rejects")) == ["missing user_id", "not a JSON object"]
    client = redis.Redis(unix_socket_path=str(redis_socket))
    assert profiles(client, "baseline", data.USERS) == profiles(client, "backfill", data.USERS)
