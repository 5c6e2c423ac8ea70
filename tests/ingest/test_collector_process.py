"""The real collector under gunicorn: served over loopback, and killed with SIGKILL."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import orjson
import pytest
import requests

from core.config import Settings
from core.processes import free_port, port_open, stop_process_group, wait_until
from ingest.segments import completed_segments, read_segments
from ingest.serve import collector_command

pytestmark = pytest.mark.integration


@contextmanager
def running_collector(settings: Settings, port: int) -> Iterator[subprocess.Popen[bytes]]:
    process = subprocess.Popen(
        collector_command(port, settings.event_log, settings.quarantine_log, workers=2, threads=4),
        env={**os.environ, **settings.to_env()},
        start_new_session=True,
    )
    try:
        wait_until(lambda: port_open(port) or process.poll() is not None, 60, "collector to listen")
        assert process.poll() is None, "collector exited at start"
        yield process
    finally:
        stop_process_group(process.pid)


def batch(prefix: str, n: int = 50) -> list[dict]:
    now = int(time.time() * 1000)
    return [
        {
            "event_id": f"{prefix}-{i}",
            "user_id": f"u{i % 7}",
            "channel": "app",
            "event": "click",
            "ts": now,
            "props": {"element": "buy"},
        }
        for i in range(n)
    ]


def test_serves_and_publishes_segments_within_a_second(settings: Settings) -> None:
    port = free_port()
    with running_collector(settings, port):
        url = f"http://127.0.0.1:{port}"
        assert requests.get(f"{url}/healthz", timeout=5).json() == {"ok": True}
        response = requests.post(f"{url}/v1/collect", json=batch("a"), timeout=5)
        assert response.json() == {"accepted": 50, "rejected": []}
        wait_until(lambda: len(list(read_segments(settings.event_log))) == 50, 3, "segment to be published")
        assert "touchstream_collector_events_accepted_total" in requests.get(f"{url}/metrics", timeout=5).text


def test_sigkill_loses_no_acknowledged_event_and_leaves_no_half_line(settings: Settings) -> None:
    port = free_port()
    acked: list[str] = []
    stop = threading.Event()

    def client() -> None:
        session = requests.Session()
        deadline = time.monotonic() + 20
        n = 0
        while not stop.is_set() and time.monotonic() < deadline and n < 5000:
            events = batch(f"b{n}")
            n += 1
            try:
                response = session.post(f"http://127.0.0.1:{port}/v1/collect", json=events, timeout=5)
            except requests.RequestException:
                continue  # the collector is gone: not acknowledged, nothing to check
            if response.status_code == 200:
                acked.extend(e["event_id"] for e in events)

    with running_collector(settings, port) as collector:
        senders = [threading.Thread(target=client) for _ in range(3)]
        for sender in senders:
            sender.start()
        wait_until(lambda: len(acked) >= 2000, 20, "some acknowledged traffic")
        os.killpg(collector.pid, signal.SIGKILL)
        collector.wait(10)
        stop.set()
        for sender in senders:
            sender.join(30)
    hidden_after_crash = list(settings.event_log.glob(".seg-*"))
    assert hidden_after_crash, "expected unpublished segments at the moment of the kill"

    with running_collector(settings, free_port()):  # restart: recovery publishes what was left
        pass

    logged = []
    for path in completed_segments(settings.event_log):
        data = path.read_bytes()
        assert data.endswith(b"\n"), f"{path.name} ends in a half line"
        logged.extend(orjson.loads(line)["event_id"] for line in data.splitlines())
    assert not list(settings.event_log.glob(".seg-*"))
    missing = set(acked) - set(logged)
    assert not missing, f"{len(missing)} acknowledged events lost, e.g. {sorted(missing)[:3]}"
