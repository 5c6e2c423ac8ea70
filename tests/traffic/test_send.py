"""The sender against the real collector app, served by werkzeug on loopback."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from werkzeug.serving import make_server

from core.config import Settings
from core.credentials import backend_key
from core.processes import free_port
from ingest.app import create_app
from ingest.segments import read_segments
from touchstream.traffic.generate import write_world
from touchstream.traffic.send import BACKEND_USER_AGENT, backend_event_names, retry_policy, send_file


class ServedCollector:
    """The collector's Flask app on a loopback port; records each request's headers and can
    answer 503 to the first ``fail_first`` requests (a collector whose disk is briefly full)."""

    def __init__(self, settings: Settings, fail_first: int = 0) -> None:
        self.settings = settings
        self.app = create_app(settings, max_age_s=0.2)
        self.fail_first = fail_first
        self.requests: list[tuple[list[str], dict[str, str]]] = []  # (event names, headers)
        self.lock = threading.Lock()
        self.port = free_port()
        self.server = make_server("127.0.0.1", self.port, self.wsgi, threaded=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def wsgi(self, environ: dict[str, Any], start_response: Any) -> Any:
        with self.lock:
            if self.fail_first > 0:
                self.fail_first -= 1
                environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
                start_response("503 Service Unavailable", [("Content-Type", "application/json")])
                return [b'{"error": "event log unavailable, retry later"}']
        headers = {k[5:].replace("_", "-").title(): v for k, v in environ.items() if k.startswith("HTTP_")}
        body = environ["wsgi.input"].read(int(environ["CONTENT_LENGTH"]))
        with self.lock:
            self.requests.append(([e["event"] for e in orjson.loads(body)], headers))
        environ["wsgi.input"] = _Replay(body)
        return self.app.wsgi_app(environ, start_response)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def logged(self) -> list[dict[str, Any]]:
        collector = self.app.extensions["touchstream.collector"]
        collector.events.roll()
        return list(read_segments(self.settings.event_log))

    def close(self) -> None:
        self.server.shutdown()
        collector = self.app.extensions["touchstream.collector"]
        collector.events.close()
        collector.quarantine.close()


class _Replay:
    def __init__(self, body: bytes) -> None:
        self.body, self.pos = body, 0

    def read(self, n: int = -1) -> bytes:
        end = len(self.body) if n is None or n < 0 else self.pos + n
        out, self.pos = self.body[self.pos : end], min(end, len(self.body))
        return out

    def readinto(self, buffer: bytearray) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


@pytest.fixture
def collector(request: pytest.FixtureRequest, settings: Settings) -> Iterator[ServedCollector]:
    served = ServedCollector(settings, fail_first=getattr(request, "param", 0))
    served.thread.start()
    yield served
    served.close()


@pytest.fixture(scope="module")
def traffic(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("traffic") / "world.jsonl"
    write_world(path, users=100, days=2, seed=3)
    return path


def ids(path: Path) -> list[str]:
    return sorted(orjson.loads(line)["event_id"] for line in path.read_bytes().splitlines())


def test_every_event_arrives_exactly_once_business_events_with_the_key(
    collector: ServedCollector, traffic: Path, settings: Settings
) -> None:
    key = backend_key(settings)
    report = send_file(traffic, collector.url, batch_size=50, concurrency=3, progress=False, backend_key=key)
    expected = ids(traffic)
    assert sorted(e["event_id"] for e in collector.logged()) == expected
    assert (report.sent, report.accepted, report.rejected, report.failed_batches) == (len(expected),) * 2 + (0, 0)
    business = backend_event_names()
    backend_requests = [h for names, h in collector.requests if set(names) <= business]
    client_requests = [h for names, h in collector.requests if not set(names) & business]
    assert len(backend_requests) + len(client_requests) == len(collector.requests)  # never mixed
    assert backend_requests and all(h["Authorization"] == f"Bearer {key}" for h in backend_requests)
    assert all(h["User-Agent"] == BACKEND_USER_AGENT for h in backend_requests)
    assert all("Authorization" not in h for h in client_requests)
    assert any("MicroMessenger" in h["User-Agent"] for h in client_requests)


def test_without_the_key_business_events_are_rejected_with_their_reason(
    collector: ServedCollector, traffic: Path
) -> None:
    report = send_file(traffic, collector.url, batch_size=200, concurrency=2, progress=False)
    business = backend_event_names()
    n_business = sum(orjson.loads(line)["event"] in business for line in traffic.read_bytes().splitlines())
    assert n_business > 0
    assert report.rejected == n_business and report.failed_batches == 0
    assert all(reason.startswith("source: ") for reason in report.reasons)


def test_a_wrong_key_fails_the_business_batches_only(collector: ServedCollector, traffic: Path) -> None:
    report = send_file(traffic, collector.url, batch_size=200, progress=False, backend_key="w" * 43)
    assert report.failed_batches > 0
    assert set(report.reasons) == {"401: the back-end key is wrong"}
    assert report.retries == 0  # a 4xx is not retried
    business = backend_event_names()
    assert not any(e["event"] in business for e in collector.logged())


@pytest.mark.parametrize("collector", [3], indirect=True)
def test_retries_after_503(collector: ServedCollector, traffic: Path, settings: Settings) -> None:
    report = send_file(
        traffic, collector.url, batch_size=200, concurrency=1, progress=False, backend_key=backend_key(settings)
    )
    assert report.retries == 3
    assert report.failed_batches == 0
    assert sorted(e["event_id"] for e in collector.logged()) == ids(traffic)


def test_an_unreachable_collector_fails_in_bounded_time(tmp_path: Path) -> None:
    path = tmp_path / "one.jsonl"
    path.write_bytes(b'{"event_id": "e1", "channel": "web", "event": "click"}\n')
    report = send_file(path, f"http://127.0.0.1:{free_port()}", progress=False, retry=retry_policy(backoff_factor=0.01))
    assert report.failed_batches == 1 and report.sent == 0
    assert report.seconds < 10
    assert list(report.reasons) == ["unreachable: ConnectionError"]


def test_send_command_uses_the_key_under_home(collector: ServedCollector, traffic: Path, settings: Settings) -> None:
    from typer.testing import CliRunner

    from touchstream.cli import app

    env = {k: v for k, v in settings.to_env().items() if k != "TOUCHSTREAM_BACKEND_KEY"}
    result = CliRunner().invoke(app, ["send", str(traffic), "--url", collector.url], env=env)
    assert result.exit_code == 0, result.output
    assert sorted(e["event_id"] for e in collector.logged()) == ids(traffic)
    missing = CliRunner().invoke(app, ["send", str(traffic.with_name("nope.jsonl"))], env=env)
    assert missing.exit_code == 2 and "no such file" in missing.output
