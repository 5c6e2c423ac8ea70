"""The sender against a real HTTP server on loopback that validates like the collector."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from flask import Flask, Response, request
from werkzeug.serving import make_server

from core.contract import EventRejected, EventValidator, default_catalogue
from core.processes import free_port
from touchstream.traffic.generate import write_world
from touchstream.traffic.send import send_file


class FakeCollector:
    """A real server (werkzeug on loopback) standing in for the collector's HTTP contract."""

    def __init__(self, fail_first: int = 0) -> None:
        self.received: list[dict] = []
        self.user_agents: dict[str, set[str]] = {}
        self.fail_first = fail_first
        self.lock = threading.Lock()
        validator = EventValidator(default_catalogue())
        app = Flask("fake-collector")

        @app.post("/v1/collect")
        def collect() -> Response:
            with self.lock:
                if self.fail_first > 0:
                    self.fail_first -= 1
                    return Response(b'{"error": "busy"}', status=503, mimetype="application/json")
            batch = orjson.loads(request.get_data())
            rejected = []
            now = int(time.time() * 1000)
            for i, event in enumerate(batch):
                try:
                    validator.validate(event, now)
                except EventRejected as exc:
                    rejected.append({"index": i, "reason": str(exc)})
            with self.lock:
                self.received.extend(batch)
                for event in batch:
                    self.user_agents.setdefault(event["channel"], set()).add(request.headers["User-Agent"])
            return Response(
                orjson.dumps({"accepted": len(batch) - len(rejected), "rejected": rejected}),
                mimetype="application/json",
            )

        self.port = free_port()
        self.server = make_server("127.0.0.1", self.port, app, threaded=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@pytest.fixture
def fake_collector(request: pytest.FixtureRequest) -> Iterator[FakeCollector]:
    server = FakeCollector(fail_first=getattr(request, "param", 0))
    server.thread.start()
    yield server
    server.server.shutdown()


@pytest.fixture(scope="module")
def traffic(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("traffic") / "world.jsonl"
    write_world(path, users=100, days=2, seed=3)
    return path


def test_every_event_arrives_exactly_once(fake_collector: FakeCollector, traffic: Path) -> None:
    report = send_file(traffic, fake_collector.url, batch_size=50, concurrency=3, progress=False)
    expected = [orjson.loads(line)["event_id"] for line in traffic.read_bytes().splitlines()]
    assert sorted(e["event_id"] for e in fake_collector.received) == sorted(expected)
    assert (report.sent, report.accepted, report.rejected, report.failed_batches) == (len(expected),) * 2 + (0, 0)
    assert "MicroMessenger" in next(iter(fake_collector.user_agents["wechat"]))
    assert all(len(agents) == 1 for agents in fake_collector.user_agents.values())


@pytest.mark.parametrize("fake_collector", [3], indirect=True)
def test_retries_after_503(fake_collector: FakeCollector, traffic: Path) -> None:
    report = send_file(traffic, fake_collector.url, batch_size=200, concurrency=1, progress=False)
    assert report.retries == 3
    assert report.failed_batches == 0
    assert report.accepted == len(traffic.read_bytes().splitlines())
