from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import orjson
import pytest

from core.config import Settings, load_settings
from core.processes import free_port, stop_process_group, wait_until
from warehouse.client import live_owner


def record(event_id: str, user: str = "u1", channel: str = "app", ts: int = 1_790_000_000_000, **extra: object) -> dict:
    """An event-log record as the collector writes it."""
    base = {
        "event_id": event_id,
        "user_id": user,
        "channel": channel,
        "event": "flow_step",
        "ts": ts,
        "session_id": "s1",
        "page": "/plan",
        "props": {"flow": "plan_upgrade", "step": 1, "business": "plan"},
        "received_at": ts + 50,
        "ip": "127.0.0.1",
        "ua_browser": "Chrome Mobile",
        "ua_os": "Android",
        "ua_device": "phone",
    }
    base.update(extra)
    return base


@contextmanager
def running_owner(home: Path) -> Iterator[Settings]:
    """A real ``touchstream warehouse`` process on a fresh home, with small limits for people's queries."""
    settings = load_settings(
        env={}, home=home, warehouse_port=free_port(), sql_max_execution_s=2, sql_max_result_rows=1_000
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "touchstream", "warehouse"],
        env={**os.environ, **settings.to_env()},
        start_new_session=True,
    )
    try:
        wait_until(lambda: live_owner(settings) is not None or process.poll() is not None, 60, "warehouse owner")
        assert process.poll() is None, "owner exited"
        yield settings
    finally:
        stop_process_group(process.pid)
    assert not settings.warehouse_owner_file.exists(), "owner file left behind"


@pytest.fixture
def owner(tmp_path: Path) -> Iterator[Settings]:
    with running_owner(tmp_path / "home") as settings:
        yield settings


def publish_job_events(settings: Settings, name: str, records: list[dict]) -> Path:
    """Commit a part file of the stream job's ``events`` output (what the warehouse loads events from)."""
    out = settings.flink_home / "out" / "events"
    out.mkdir(parents=True, exist_ok=True)
    lines = [{"line": orjson.dumps(r).decode(), "late": False} for r in records]
    hidden = out / f".{name}.inprogress"
    hidden.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in lines))
    return hidden.rename(out / name)
