"""The collect endpoint through Flask's test client, with real segment files."""

from __future__ import annotations

import gzip
import time
from collections.abc import Iterator

import orjson
import pytest
from flask import Flask
from flask.testing import FlaskClient

from core.config import Settings
from ingest.app import create_app
from ingest.limits import CollectorLimits
from ingest.segments import read_segments

ANDROID_UA = (
    "Mozilla/5.0 (Linux; Android 13; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Mobile Safari/537.36"
)


@pytest.fixture
def app(settings: Settings) -> Iterator[Flask]:
    app = create_app(settings, limits=CollectorLimits(max_body_bytes=64 * 1024, max_events_per_batch=100))
    yield app
    collector = app.extensions["touchstream.collector"]
    collector.events.close()
    collector.quarantine.close()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def flush(app: Flask) -> None:
    collector = app.extensions["touchstream.collector"]
    collector.events.roll()
    collector.quarantine.roll()


def event(i: int, **overrides: object) -> dict:
    e = {
        "event_id": f"e{i}",
        "user_id": "u1",
        "channel": "web",
        "event": "page_view",
        "ts": int(time.time() * 1000),
        "props": {"business": "plan"},
    }
    e.update(overrides)
    return e


def test_mixed_batch_keeps_every_valid_event(app: Flask, client: FlaskClient, settings: Settings) -> None:
    batch = [event(0), event(1, channel="fax"), event(2), event(3, ts="now"), event(4)]
    response = client.post("/v1/collect", json=batch, headers={"User-Agent": ANDROID_UA})
    assert response.status_code == 200
    assert response.json == {
        "accepted": 3,
        "rejected": [
            {"index": 1, "reason": "channel: must be one of app, web, wechat"},
            {"index": 3, "reason": "ts: must be an integer of epoch milliseconds"},
        ],
    }
    flush(app)
    logged = list(read_segments(settings.event_log))
    assert [e["event_id"] for e in logged] == ["e0", "e2", "e4"]
    assert logged[0]["ua_os"] == "Android" and logged[0]["ua_device"] == "mobile"
    assert logged[0]["ip"] == "127.0.0.1"
    assert abs(logged[0]["received_at"] - time.time() * 1000) < 60_000
    quarantined = list(read_segments(settings.quarantine_log))
    assert [(q["index"], orjson.loads(q["raw"])["event_id"]) for q in quarantined] == [(1, "e1"), (3, "e3")]


def test_gzip_body(app: Flask, client: FlaskClient, settings: Settings) -> None:
    body = gzip.compress(orjson.dumps([event(i) for i in range(10)]))
    response = client.post(
        "/v1/collect", data=body, headers={"Content-Type": "application/json", "Content-Encoding": "gzip"}
    )
    assert response.json == {"accepted": 10, "rejected": []}


@pytest.mark.parametrize(
    ("body", "headers", "status", "reason"),
    [
        (b"{not json", {}, 400, "body is not valid JSON"),
        (b'{"event_id": "x"}', {}, 400, "body must be a JSON array"),
        (orjson.dumps([{}] * 101), {}, 400, "101 events in one batch, at most 100"),
        (b"[]", {"Content-Type": "application/xml"}, 415, "content type must be application/json"),
        (b"x" * (70 * 1024), {}, 413, "body over 65536 bytes"),
        (gzip.compress(b"[" + b" " * (200 * 1024) + b"]"), {"Content-Encoding": "gzip"}, 413, "decompressed body over"),
        (b"not gzip", {"Content-Encoding": "gzip"}, 400, "not valid gzip"),
        (b"[]", {"Content-Encoding": "br"}, 415, "content encoding 'br' not supported"),
    ],
)
def test_bad_bodies_get_a_clear_4xx_and_are_quarantined(
    app: Flask, client: FlaskClient, settings: Settings, body: bytes, headers: dict, status: int, reason: str
) -> None:
    response = client.post("/v1/collect", data=body, headers={"Content-Type": "application/json", **headers})
    assert response.status_code == status
    assert reason in response.json["error"]
    flush(app)
    (record,) = read_segments(settings.quarantine_log)
    assert record["index"] == -1 and reason in record["reason"]


def test_health_and_metrics(client: FlaskClient) -> None:
    assert client.get("/healthz").json == {"ok": True}
    client.post("/v1/collect", json=[event(1), event(2, event="nope")])
    text = client.get("/metrics").get_data(as_text=True)
    assert 'touchstream_collector_events_rejected_total{field="event"}' in text
    assert "touchstream_collector_request_seconds_bucket" in text


def test_quarantined_event_can_be_replayed(app: Flask, client: FlaskClient, settings: Settings) -> None:
    client.post("/v1/collect", json=[event(1, channel="tv")])
    flush(app)
    (record,) = read_segments(settings.quarantine_log)
    fixed = orjson.loads(record["raw"]) | {"channel": "app"}
    assert client.post("/v1/collect", json=[fixed]).json == {"accepted": 1, "rejected": []}
