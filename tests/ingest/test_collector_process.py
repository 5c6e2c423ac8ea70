"""The real collector under gunicorn: served over loopback, and killed with SIGKILL."""

from __future__ import annotations

import gzip
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
from core.credentials import backend_key
from core.processes import free_port, port_open, stop_process_group, wait_until
from ingest.segments import completed_segments, read_segments
from ingest.serve import collector_command
from tests.ingest.conftest import topup

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


def test_hostile_requests_get_4xx_and_cost_no_valid_event(settings: Settings) -> None:
    """The reproductions of the hardening issue, against gunicorn: never a 5xx, every valid event logged."""
    port = free_port()
    with running_collector(settings, port):
        url = f"http://127.0.0.1:{port}/v1/collect"
        key = backend_key(settings)
        valid = batch("ok", 6)
        json_headers = {"Content-Type": "application/json"}
        deep = b'{"a":' * 300 + b"1" + b"}" * 300
        spoiled = orjson.dumps(valid[1] | {"event_id": "deep", "props": {"x": "DEEP"}}).replace(b'"DEEP"', deep)
        cases: list[tuple[bytes, dict[str, str], int]] = [
            (orjson.dumps([valid[0], {**valid[0], "event_id": "x", "channel": []}]), {}, 200),
            (b"[" + orjson.dumps(valid[1]) + b"," + spoiled + b"]", {}, 200),
            (b"[" * 2000 + b"]" * 2000, {}, 400),
            (gzip.compress(orjson.dumps([valid[2]])) + b"junk", {"Content-Encoding": "gzip"}, 400),
            (gzip.compress(orjson.dumps([valid[2]]))[:-4], {"Content-Encoding": "gzip"}, 400),
            (gzip.compress(b" " * (2 * 1024 * 1024)), {"Content-Encoding": "gzip"}, 413),
            (b"\xff\xfe\x00garbage", {}, 400),
            (orjson.dumps([valid[2], topup("t-anon")]), {}, 200),
            (orjson.dumps([valid[3], topup("t-wrong")]), {"Authorization": "Bearer not-the-key"}, 401),
            (orjson.dumps([valid[4], topup("t-key")]), {"Authorization": f"Bearer {key}"}, 200),
            (orjson.dumps([{**valid[5], "user_id": "u\n1"}, {**valid[5], "user_id": "{u1}"}, valid[5]]), {}, 200),
        ]
        answers = []
        with requests.Session() as session:
            for body, headers, status in cases:
                response = session.post(url, data=body, headers={**json_headers, **headers}, timeout=10)
                assert response.status_code == status, (body[:80], response.text)
                answers.append(response.json())

            def too_big():  # chunked, no Content-Length: only reading tells the size
                for _ in range(2 * 1024):
                    yield b" " * 1024

            response = session.post(url, data=too_big(), headers=json_headers, timeout=10)
            assert response.status_code == 413 and "body over" in response.json()["error"]
        assert requests.get(url, timeout=5).status_code == 405
        assert answers[0]["rejected"][0]["reason"].startswith("channel:")
        assert answers[7]["rejected"][0]["reason"].startswith("source: topup is a backend event")
        assert answers[8] == {"error": "the back-end key is wrong"}
        assert [r["index"] for r in answers[10]["rejected"]] == [0, 1]
        expected = {e["event_id"] for e in valid if e["event_id"] != "ok-3"} | {"et-key"}
        wait_until(
            lambda: {e["event_id"] for e in read_segments(settings.event_log)} == expected, 5, "the valid events"
        )
    assert sorted(e["event_id"] for e in read_segments(settings.event_log)) == sorted(expected)  # once each


def test_an_unusable_key_file_stops_the_collector_with_a_message(settings: Settings) -> None:
    settings.home.mkdir(parents=True)
    settings.backend_key_file.write_text("k" * 40)
    settings.backend_key_file.chmod(0o644)
    result = subprocess.run(
        collector_command(free_port(), settings.event_log, settings.quarantine_log),
        env={**os.environ, **settings.to_env()},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "backend.key is readable by others (mode 644); chmod 600 it" in result.stderr
