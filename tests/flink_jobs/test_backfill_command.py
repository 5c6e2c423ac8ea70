"""`touchstream backfill FILES` as a person runs it: queryable afterwards, nothing left running, a summary."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from core.config import load_settings
from tagging.profiles.embedded import embedded_running
from tests.flink_jobs import data

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(300)]

PROJECT = Path(__file__).resolve().parents[2]


def touchstream(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TOUCHSTREAM_") and k != "FLINK_LOG_DIR"}
    return subprocess.run(
        [sys.executable, "-m", "touchstream", "--home", str(home), *args],
        cwd=PROJECT,
        env={**env, "COLUMNS": "200"},
        capture_output=True,
        text=True,
        timeout=240,
    )


def test_backfill_loads_the_warehouse_and_stops_what_it_started(tmp_path: Path) -> None:
    home = tmp_path / "home"
    chunks = data.segment_lines(data.world(), 3)
    files = data.write_segments(tmp_path / "history", chunks)
    run = touchstream(home, "backfill", *map(str, files))
    assert run.returncode == 0, run.stderr[-3000:]

    # a summary of what happened to the input, and no third-party INFO chatter
    unique = len(data.unique_ids(chunks))
    lines = sum(len(c) for c in chunks)
    for label, value in (("lines", lines), ("events", unique), ("rejected", 2), ("duplicates", lines - 2 - unique)):
        assert any(row.split() == [*label.split(), str(value)] for row in _table_rows(run.stdout)), (label, run.stdout)
    assert "apache_beam" not in run.stderr and "BigQuery" not in run.stderr
    assert " INFO " not in run.stderr, run.stderr[-2000:]  # a one-shot command: its summary, not log chatter

    # nothing left running: the embedded Redis it started is stopped again
    settings = load_settings(env={}, home=home)
    assert not embedded_running(settings)

    # the events and tag changes are in the warehouse, without a running stack
    count = touchstream(home, "sql", "SELECT count() AS n, uniqExact(user_id, event_id) AS ids FROM events", "--json")
    assert count.returncode == 0, count.stderr
    assert orjson.loads(count.stdout) == [{"n": unique, "ids": unique}]
    tags = touchstream(home, "sql", "SELECT count() AS n FROM tag_changes", "--json")
    assert orjson.loads(tags.stdout)[0]["n"] > 0

    # the same backfill again is skipped: the events table would otherwise count them twice
    again = touchstream(home, "backfill", *map(str, files))
    assert again.returncode == 0, again.stderr[-3000:]
    assert any(row.split() == ["skipped", str(len(files))] for row in _table_rows(again.stdout)), again.stdout
    recount = touchstream(home, "sql", "SELECT count() AS n FROM events", "--json")
    assert orjson.loads(recount.stdout) == [{"n": unique}]


def _table_rows(text: str) -> list[str]:
    """The cells of a rich table's rows, without its box-drawing characters."""
    return [" ".join(line.replace("│", " ").replace("┃", " ").split()) for line in text.splitlines()]
