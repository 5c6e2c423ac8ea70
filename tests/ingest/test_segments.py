"""Segment writer: durability, rolling, group commit, crash recovery."""

from __future__ import annotations

import fcntl
import os
import threading
import time
from pathlib import Path
from unittest import mock

import orjson
import pytest

from ingest.segments import SegmentWriter, completed_segments, read_segments, recover_orphans


def lines(*ids: str) -> bytes:
    return b"".join(orjson.dumps({"event_id": i}) + b"\n" for i in ids)


def hidden(directory: Path) -> list[Path]:
    return sorted(directory.glob(".seg-*"))


def test_written_data_is_hidden_until_rolled(tmp_path: Path) -> None:
    writer = SegmentWriter(tmp_path, max_age_s=60)
    writer.append(lines("a", "b"))
    assert completed_segments(tmp_path) == []
    assert len(hidden(tmp_path)) == 1
    writer.roll()
    assert [r["event_id"] for r in read_segments(tmp_path)] == ["a", "b"]
    assert hidden(tmp_path) == []
    writer.close()


def test_rolls_by_age_without_new_writes(tmp_path: Path) -> None:
    writer = SegmentWriter(tmp_path, max_age_s=0.2)
    writer.append(lines("a"))
    deadline = time.monotonic() + 3
    while not completed_segments(tmp_path) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert len(completed_segments(tmp_path)) == 1
    writer.close()


def test_rolls_by_size_and_names_sort_in_write_order(tmp_path: Path) -> None:
    writer = SegmentWriter(tmp_path, max_bytes=100, max_age_s=60)
    ids = [f"event-{i:03d}" for i in range(30)]
    for i in ids:
        writer.append(lines(i))
    writer.close()
    assert len(completed_segments(tmp_path)) > 5
    assert [r["event_id"] for r in read_segments(tmp_path)] == ids


def test_concurrent_appends_share_fsyncs_and_lose_nothing(tmp_path: Path) -> None:
    writer = SegmentWriter(tmp_path, max_age_s=60)
    real_fsync = os.fsync
    calls = []

    def slow_fsync(fd: int) -> None:
        calls.append(fd)
        time.sleep(0.005)  # a disk, so that writers queue up behind a sync
        real_fsync(fd)

    with mock.patch("ingest.segments.os.fsync", slow_fsync):
        threads = [
            threading.Thread(target=lambda t=t: [writer.append(lines(f"{t}-{i}")) for i in range(25)]) for t in range(8)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    writer.close()
    got = sorted(r["event_id"] for r in read_segments(tmp_path))
    assert got == sorted(f"{t}-{i}" for t in range(8) for i in range(25))
    assert len(calls) < 200  # 200 appends, fewer fsyncs: group commit at work


def test_failed_write_leaves_no_torn_line(tmp_path: Path) -> None:
    writer = SegmentWriter(tmp_path, max_age_s=60)
    writer.append(lines("a"))
    real_write = os.write

    def short_then_fail(fd: int, data: bytes) -> int:
        real_write(fd, bytes(data[:5]))
        raise OSError(28, "No space left on device")

    with mock.patch("ingest.segments.os.write", short_then_fail), pytest.raises(OSError):
        writer.append(lines("b"))
    writer.append(lines("c"))
    writer.close()
    assert [r["event_id"] for r in read_segments(tmp_path)] == ["a", "c"]


def test_recovery_publishes_abandoned_segments_without_torn_lines(tmp_path: Path) -> None:
    (tmp_path / ".seg-0000000000001-99999-000001.jsonl").write_bytes(lines("a", "b") + b'{"event_id": "tor')
    (tmp_path / ".seg-0000000000002-99999-000002.jsonl").write_bytes(b'{"half')  # nothing complete
    live = SegmentWriter(tmp_path, max_age_s=60)  # recovers at start
    live.append(lines("c"))
    assert [p.name for p in completed_segments(tmp_path)] == ["seg-0000000000001-99999-000001.jsonl"]
    assert recover_orphans(tmp_path) == []  # the live writer's segment is locked, left alone
    assert len(hidden(tmp_path)) == 1
    live.close()
    assert [r["event_id"] for r in read_segments(tmp_path)] == ["a", "b", "c"]


def test_recovery_never_takes_a_segment_being_opened(tmp_path: Path) -> None:
    """A gunicorn worker booting (recovery) while a sibling opens a new segment."""
    writer = SegmentWriter(tmp_path, max_age_s=60)
    real_flock = fcntl.flock
    raced: list[list[Path]] = []

    def recover_first(fd: int, op: int) -> None:
        if not raced:
            raced.append([])
            raced[0] = recover_orphans(tmp_path)  # between the sibling's open and its lock
        real_flock(fd, op)

    with mock.patch("ingest.segments.fcntl.flock", recover_first):
        writer.append(lines("a"))
    writer.append(lines("b"))
    writer.close()
    assert raced == [[]]
    assert [r["event_id"] for r in read_segments(tmp_path)] == ["a", "b"]


def test_recovery_skips_a_segment_rolled_under_it(tmp_path: Path) -> None:
    writer = SegmentWriter(tmp_path, max_age_s=60)
    writer.append(lines("a"))
    real_flock = fcntl.flock

    def roll_first(fd: int, op: int) -> None:
        with mock.patch("ingest.segments.fcntl.flock", real_flock):
            writer.roll()  # the live writer publishes between recovery's glob and its lock
        real_flock(fd, op)

    with mock.patch("ingest.segments.fcntl.flock", roll_first):
        assert recover_orphans(tmp_path) == []
    writer.close()
    assert [r["event_id"] for r in read_segments(tmp_path)] == ["a"]
    assert hidden(tmp_path) == []


def test_recovery_removes_files_a_writer_died_creating(tmp_path: Path) -> None:
    old, new = tmp_path / ".new-seg-0000000000001-99999-000001.jsonl", tmp_path / ".new-seg-2-99999-000001.jsonl"
    old.write_bytes(b"")
    new.write_bytes(b"")
    os.utime(old, (time.time() - 120, time.time() - 120))
    assert recover_orphans(tmp_path) == []
    assert list(tmp_path.iterdir()) == [new]  # may be a live writer's, a microsecond from its lock
