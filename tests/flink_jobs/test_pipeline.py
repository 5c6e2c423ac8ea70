"""The continuous job: catch-up over a backlog == live; a SIGKILL'd JVM recovers to the same result."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import orjson
import pytest

from core.config import load_settings
from core.processes import wait_until
from tagging.profiles import connect, stop_embedded
from tests.flink_jobs import data
from tests.flink_jobs.outputs import canonical, profiles, rows
from tests.flink_jobs.process import Pipeline

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(300)]

COMPARED = ("events", "minute_metrics", "late_events", "rejects", "tag_changes")


def snapshot(pipeline: Pipeline) -> dict[str, Any]:
    """Everything a run produced: committed outputs (as multisets) and the Redis profiles."""
    settings = load_settings(env={}, home=pipeline.home)
    client = connect(settings)
    try:
        result: dict[str, Any] = {t: canonical(rows(pipeline.out, t)) for t in COMPARED}
        result["profiles"] = profiles(client, "ts", data.USERS)
    finally:
        client.close()
        stop_embedded(settings)
    return result


@pytest.fixture(scope="module")
def chunks() -> list[list[bytes]]:
    return data.segment_lines(data.world(), 6)


@pytest.fixture(scope="module")
def catch_up(tmp_path_factory: pytest.TempPathFactory, chunks: list[list[bytes]]) -> Iterator[dict[str, Any]]:
    """All segments exist before the job starts (a first run over a backlog)."""
    pipeline = Pipeline(tmp_path_factory.mktemp("catchup"))
    data.write_segments(pipeline.home / "events", chunks)
    pipeline.start()
    try:
        pipeline.wait_for(data.unique_ids(chunks))
        pipeline.stop()
    finally:
        if pipeline.process and pipeline.process.poll() is None:
            pipeline.process.kill()
    yield {**snapshot(pipeline), "home": pipeline.home}


def test_catch_up_is_complete(catch_up: dict[str, Any], chunks: list[list[bytes]]) -> None:
    assert len(catch_up["events"]) == len(data.unique_ids(chunks))  # duplicates counted once
    assert sorted(orjson.loads(r)["event_id"] for r in catch_up["late_events"]) == ["e99998", "e99999"]
    # the late page view changes no tag; the late order (a fact) sets orderer:handset, applied when it was read
    (change,) = [orjson.loads(r) for r in catch_up["tag_changes"] if '"orderer:handset"' in r]
    world = data.world()
    fact = data.late_fact(world)
    assert change["user_id"] == "u5" and change["action"] == "set"
    # applied at the watermark when it was read (within the allowed lateness of what had been read), not its own ts
    assert fact["ts"] + 100 * data.SECOND < change["ts_ms"] <= max(e["ts"] for e in world)
    assert "orderer:handset" in {t["tag"] for t in catch_up["profiles"]["u5"]["tags"]}
    assert sorted('"missing user_id"' in r for r in catch_up["rejects"]) == [False, True]
    assert any(p["tags"] for p in catch_up["profiles"].values())
    line = "rejected event-log line (not a JSON object): this is not json"

    def logged() -> bool:  # the JVM writes its log asynchronously; give it a moment after the stop
        return any(line in p.read_text(errors="replace") for p in (catch_up["home"] / "flink" / "log").glob("*.log"))

    wait_until(logged, 15, "the rejected line to be logged")


def test_live_equals_catch_up(
    tmp_path_factory: pytest.TempPathFactory, chunks: list[list[bytes]], catch_up: dict[str, Any]
) -> None:
    pipeline = Pipeline(tmp_path_factory.mktemp("live"))
    (pipeline.home / "events").mkdir(parents=True)
    pipeline.start()
    try:
        seen: list[list[bytes]] = []
        for index, chunk in enumerate(chunks):  # each segment appears only after the previous one is read
            data.write_segment(pipeline.home / "events", data.segment_name(index), chunk)
            seen.append(chunk)
            pipeline.wait_for(data.unique_ids(seen))
        pipeline.stop()
    finally:
        if pipeline.process and pipeline.process.poll() is None:
            pipeline.process.kill()
    live = snapshot(pipeline)
    for table in (*COMPARED, "profiles"):
        assert live[table] == catch_up[table], table


@pytest.fixture(scope="module")
def recovered(tmp_path_factory: pytest.TempPathFactory, chunks: list[list[bytes]]) -> dict[str, Any]:
    """A run whose JVM is SIGKILLed mid-stream and then restarted on the same home."""
    pipeline = Pipeline(tmp_path_factory.mktemp("killed"))
    events = pipeline.home / "events"
    data.write_segments(events, chunks[:3])
    pipeline.start()
    try:
        pipeline.wait_for(data.unique_ids(chunks[:3]))
        for index in (3, 4):
            data.write_segment(events, data.segment_name(index), chunks[index])
        pipeline.kill_jvm()  # mid-stream: segments 3-4 are being read, Redis writes are queued
        assert list(pipeline.home.glob("flink/checkpoints/*/chk-*/_metadata")), "no checkpoint to resume from"
        pipeline.start()
        data.write_segment(events, data.segment_name(5), chunks[5])
        pipeline.wait_for(data.unique_ids(chunks))
        pipeline.stop()
    finally:
        if pipeline.process and pipeline.process.poll() is None:
            pipeline.process.kill()
    return snapshot(pipeline)


def test_sigkill_then_restart_outputs_equal_undisturbed(recovered: dict[str, Any], catch_up: dict[str, Any]) -> None:
    for table in COMPARED:
        assert recovered[table] == catch_up[table], table


def test_sigkill_then_restart_profiles_equal_undisturbed(recovered: dict[str, Any], catch_up: dict[str, Any]) -> None:
    assert recovered["profiles"] == catch_up["profiles"]
