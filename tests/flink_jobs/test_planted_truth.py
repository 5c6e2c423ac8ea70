"""Tags computed through the Flink job equal the planted truth exactly (precision and recall 100 %).

The world is tests/tagging/planted.py (generated users plus users planted on the families'
boundaries); the truth is the independent oracle (tests/tagging/oracle.py). The events
reach the job the way the collector logs them: in received order, which is event time with
up to 3 s of disorder (inside the allowed lateness), with client retries (same event_id)
in later segments. The job runs to a horizon, so its Redis profiles are the tags at that
instant, as a BATCH backfill and as a streaming run over the same files.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import orjson
import pytest
import redis

from core.config import load_settings
from flink_jobs.backfill import run_backfill
from flink_jobs.job import build_job
from flink_jobs.options import JobOptions, JobPaths
from tagging.catalogue import default_tag_catalogue
from tagging.families import FAMILIES
from tests.flink_jobs import data
from tests.flink_jobs.outputs import profiles, rows
from tests.tagging.builders import DAY
from tests.tagging.oracle import expected_tags
from tests.tagging.planted import START, build_world, checkpoints, handset_close

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(300)]

LATENESS_MS = 10_000
DISORDER_MS = 3_000  # well inside the allowed lateness: nothing may be classified late
SEGMENTS = 8
LATE_HORIZON = max(checkpoints())
REFERRER = "referrer:plan"


def received_order(events: list[dict[str, Any]], seed: int = 11) -> list[list[bytes]]:
    """Segments of log lines as the collector would write them: received order, retries added."""
    rng = random.Random(seed)
    logged = [{**e, "received_at": e["ts"] + rng.randrange(DISORDER_MS)} for e in events]
    logged.sort(key=lambda e: e["received_at"])
    size = -(-len(logged) // SEGMENTS)
    chunks = [logged[i : i + size] for i in range(0, len(logged), size)]
    for k in range(1, len(chunks)):  # retries: an earlier event again, received later
        for e in chunks[k - 1][::97]:
            chunks[k].append({**e, "received_at": chunks[k][-1]["received_at"] + 1})
    return [[orjson.dumps(e) for e in chunk] for chunk in chunks]


def tags_of(client: redis.Redis, prefix: str, users: list[str]) -> dict[str, dict[str, int | None]]:
    found = profiles(client, prefix, users)
    return {u: {t["tag"]: t["expires_at"] for t in p["tags"]} for u, p in found.items() if p["tags"]}


@pytest.fixture(scope="module")
def truth_runs(tmp_path_factory: pytest.TempPathFactory, redis_socket: Path) -> dict[str, Any]:
    world = sorted(build_world(), key=lambda e: (e["ts"], e["event_id"]))  # the job's tie order
    chunks = received_order(world)
    root = tmp_path_factory.mktemp("truth")
    files = data.write_segments(root / "events", chunks)
    url = f"unix://{redis_socket}"
    runs = {}
    for horizon in (handset_close(), LATE_HORIZON):
        prefix = f"batch{horizon}"
        settings = load_settings(env={"TOUCHSTREAM_REDIS_URL": url}, home=root / prefix)
        run_backfill(settings, files, JobOptions(lateness_ms=LATENESS_MS, horizon_ms=horizon, redis_prefix=prefix))
        runs[prefix] = (horizon, root / prefix / "flink" / "out")
    prefix = f"stream{handset_close()}"
    options = JobOptions(lateness_ms=LATENESS_MS, horizon_ms=handset_close(), redis_prefix=prefix)
    job = build_job(files, JobPaths(root / prefix / "flink"), options, url, continuous=False)
    job.env.execute("planted-truth-streaming")
    runs[prefix] = (handset_close(), root / prefix / "flink" / "out")
    return {"world": world, "runs": runs, "unique": len(world)}


def test_every_run_equals_the_planted_truth(truth_runs: dict[str, Any], redis_socket: Path) -> None:
    world, catalogue = truth_runs["world"], default_tag_catalogue()
    users = sorted({e["user_id"] for e in world})
    client = redis.Redis(unix_socket_path=str(redis_socket))
    families: set[str] = set()
    for prefix, (horizon, out) in truth_runs["runs"].items():
        expected = {u: t for u, t in expected_tags(world, catalogue, horizon).items() if t}
        actual = tags_of(client, prefix, users)
        missing = {(u, t) for u, ts in expected.items() for t in ts} - {(u, t) for u, ts in actual.items() for t in ts}
        extra = {(u, t) for u, ts in actual.items() for t in ts} - {(u, t) for u, ts in expected.items() for t in ts}
        assert not missing and not extra, f"{prefix}: recall misses {sorted(missing)}, precision misses {sorted(extra)}"
        assert actual == expected, f"{prefix}: same tags, different expiries"
        families |= {tag.split(":")[0] for tags in expected.values() for tag in tags}
        # duplicates counted once, nothing late
        assert len(rows(out, "events")) == truth_runs["unique"], prefix
        assert rows(out, "late_events") == [], prefix
    assert families == set(FAMILIES), "the world must exercise every family for the comparison to mean something"


def test_planted_boundaries(truth_runs: dict[str, Any], redis_socket: Path) -> None:
    client = redis.Redis(unix_socket_path=str(redis_socket))
    planted = ["p-early", "p-late", "p-exact", "p-share", "p-quiet", "p-quiet2"]
    for prefix in (f"batch{handset_close()}", f"stream{handset_close()}"):
        at_close = tags_of(client, prefix, planted)
        assert "abandoned_mid_flow:handset_order" in at_close["p-late"], prefix  # completed 1 s after the close
        assert "abandoned_mid_flow:handset_order" not in at_close.get("p-early", {}), prefix  # 1 s before
        assert "abandoned_mid_flow:handset_order" not in at_close.get("p-exact", {}), prefix  # at the close
    late = tags_of(client, f"batch{LATE_HORIZON}", planted)
    assert "silent_churn_risk" in late["p-quiet"]
    assert "silent_churn_risk" not in late.get("p-quiet2", {})
    _, out = truth_runs["runs"][f"batch{LATE_HORIZON}"]
    t = START + 2 * DAY + 9 * 3600_000
    changes = rows(out, "tag_changes")
    referrer = sorted((c["action"], c["ts_ms"]) for c in changes if c["user_id"] == "p-share" and c["tag"] == REFERRER)
    assert referrer == [("set", t + DAY), ("set", t + 29 * DAY)]  # not the self visit, not the one after 30 days
