"""The collect endpoint through Flask's test client, with real segment files."""

from __future__ import annotations

import gzip
import time

import orjson
import pytest
from flask import Flask
from flask.testing import FlaskClient

from core.clock import MINUTE_MS
from core.config import Settings
from ingest.app import INTERNAL_REASON
from tests.ingest.conftest import event, logged, quarantined

ANDROID_UA = (
    "Mozilla/5.0 (Linux; Android 13; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Mobile Safari/537.36"
)


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
    records = logged(app, settings)
    assert [e["event_id"] for e in records] == ["e0", "e2", "e4"]
    assert records[0]["ua_os"] == "Android" and records[0]["ua_device"] == "mobile"
    assert records[0]["ip"] == "127.0.0.1"
    assert abs(records[0]["received_at"] - time.time() * 1000) < 60_000
    bad = quarantined(app, settings)
    assert [(q["index"], orjson.loads(q["raw"])["event_id"]) for q in bad] == [(1, "e1"), (3, "e3")]


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
    (record,) = quarantined(app, settings)
    assert record["index"] == -1 and reason in record["reason"]


def test_health_and_metrics(client: FlaskClient) -> None:
    assert client.get("/healthz").json == {"ok": True}
    client.post("/v1/collect", json=[event(1), event(2, event="nope")])
    text = client.get("/metrics").get_data(as_text=True)
    assert 'touchstream_collector_events_rejected_total{field="event"}' in text
    assert "touchstream_collector_request_seconds_bucket" in text


def test_quarantined_event_can_be_replayed(app: Flask, client: FlaskClient, settings: Settings) -> None:
    client.post("/v1/collect", json=[event(1, channel="tv")])
    (record,) = quarantined(app, settings)
    fixed = orjson.loads(record["raw"]) | {"channel": "app"}
    assert client.post("/v1/collect", json=[fixed]).json == {"accepted": 1, "rejected": []}


def nested(depth: int) -> bytes:
    """JSON text nested ``depth`` objects deep (orjson reads up to 1024 levels but writes only 254)."""
    return b'{"a":' * depth + b"1" + b"}" * depth


def test_unhashable_channel_costs_nothing_but_itself(app: Flask, client: FlaskClient, settings: Settings) -> None:
    """Was a 500 (TypeError: unhashable type) that lost the valid event beside it."""
    response = client.post("/v1/collect", json=[event(0), event(1, channel=[]), event(2, event={"x": 1})])
    assert response.status_code == 200
    assert response.json["accepted"] == 1
    assert [r["index"] for r in response.json["rejected"]] == [1, 2]
    assert [e["event_id"] for e in logged(app, settings)] == ["e0"]


def test_props_nested_300_deep_is_quarantined_as_sent(app: Flask, client: FlaskClient, settings: Settings) -> None:
    """Was a 500: the quarantine re-encoded the value past orjson's depth limit, losing the valid event."""
    deep = orjson.dumps(event(1, props={"x": "DEEP"})).replace(b'"DEEP"', nested(300))
    body = b"[ %s ,\n %s ]" % (orjson.dumps(event(0)), deep)
    response = client.post("/v1/collect", data=body, content_type="application/json")
    assert response.json == {
        "accepted": 1,
        "rejected": [{"index": 1, "reason": "props.x: values must be strings, numbers or booleans"}],
    }
    assert [e["event_id"] for e in logged(app, settings)] == ["e0"]
    (record,) = quarantined(app, settings)
    assert record["raw"].encode() == deep  # the bytes as sent, not re-encoded


def test_a_body_nested_past_the_parser_limit_gets_a_400(app: Flask, client: FlaskClient, settings: Settings) -> None:
    body = b"[" + b'{"a":' * 2000 + b"1" + b"}" * 2000 + b"]"
    response = client.post("/v1/collect", data=body, content_type="application/json")
    assert response.status_code == 400 and "depth limit" in response.json["error"]


def test_every_rejected_event_gets_its_own_reason_and_raw_text(
    app: Flask, client: FlaskClient, settings: Settings
) -> None:
    elements = [
        b'"a string, with ] and } and \\" and \\u00e9"',
        orjson.dumps(event(0)),
        b'[1, [2, {"k": "],"}]]',
        b"null",
        b"-12.5e3",
        orjson.dumps(event(1, user_id="\u0000\n{x}")),
        orjson.dumps(event("\u00fc\u6f22", user_id="\u00fc")),
        b'{"event_id": "e2", "x": "\\ud83d\\ude00"}',
    ]
    body = b"[\n  " + b" ,\t".join(elements) + b"\r\n]"
    response = client.post("/v1/collect", data=body, content_type="application/json")
    rejected = response.json["rejected"]
    assert response.json["accepted"] == 1
    assert [r["index"] for r in rejected] == [0, 2, 3, 4, 5, 6, 7]
    assert len({r["reason"] for r in rejected}) >= 4
    records = quarantined(app, settings)
    assert [(q["index"], q["reason"]) for q in records] == [(r["index"], r["reason"]) for r in rejected]
    assert [q["raw"].encode() for q in records] == [elements[r["index"]] for r in rejected]


def test_quarantined_raw_text_is_bounded(settings: Settings) -> None:
    from ingest.app import create_app
    from ingest.limits import CollectorLimits

    app = create_app(settings, limits=CollectorLimits(quarantine_raw_bytes=100))
    try:
        big = event(1, props={"note": "x" * 600})
        body = orjson.dumps([big, event(2)])
        response = app.test_client().post("/v1/collect", data=body, content_type="application/json")
        assert response.json["accepted"] == 1
        (record,) = quarantined(app, settings)
        assert record["raw"] == orjson.dumps(big).decode()[:100]
    finally:
        app.extensions["touchstream.collector"].events.close()
        app.extensions["touchstream.collector"].quarantine.close()


def test_an_unexpected_error_rejects_one_event_not_the_batch(
    app: Flask,
    client: FlaskClient,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    validator = app.extensions["touchstream.collector"].validator
    real = validator.validate

    def buggy(raw: object, *args: object, **kwargs: object) -> dict:
        if isinstance(raw, dict) and raw.get("event_id") == "e1":
            raise KeyError("a bug")
        return real(raw, *args, **kwargs)

    monkeypatch.setattr(validator, "validate", buggy)
    response = client.post("/v1/collect", json=[event(0), event(1), event(2)])
    assert response.json == {"accepted": 2, "rejected": [{"index": 1, "reason": INTERNAL_REASON}]}
    assert [e["event_id"] for e in logged(app, settings)] == ["e0", "e2"]
    assert "could not be checked" in caplog.text and "KeyError" in caplog.text


def test_logged_time_is_derived_and_the_raw_clocks_are_kept(
    app: Flask, client: FlaskClient, settings: Settings
) -> None:
    """A phone 50 min fast, a phone 10 min slow, and one flushing 10 minutes of offline events."""
    now = int(time.time() * 1000)
    fast, slow = 50 * MINUTE_MS, -10 * MINUTE_MS
    batch = [
        event("fast", ts=now - 1000 + fast, sent_at=now + fast),
        event("slow", ts=now - 1000 + slow, sent_at=now + slow),
        event("fast-no-sent-at", ts=now + fast),
        event("slow-no-sent-at", ts=now + slow),
        *(event(f"offline-{m}", ts=now - (10 - m) * MINUTE_MS + fast, sent_at=now + fast) for m in range(10)),
    ]
    assert client.post("/v1/collect", json=batch).json["accepted"] == len(batch)
    records = {e["event_id"]: e for e in logged(app, settings)}
    for e in records.values():
        assert e["ts"] <= e["received_at"]
        lag = e["received_at"] - now  # the request's own latency; bounds the derivation error
        assert 0 <= lag < 5000
    r = records["efast"]
    assert (r["client_ts"], r["sent_at"]) == (now - 1000 + fast, now + fast)
    assert r["ts"] == r["received_at"] - 1000
    assert records["eslow"]["ts"] == records["eslow"]["received_at"] - 1000
    assert records["efast-no-sent-at"]["ts"] == records["efast-no-sent-at"]["received_at"]
    assert records["efast-no-sent-at"]["sent_at"] is None
    assert records["eslow-no-sent-at"]["ts"] == now + slow
    for m in range(10):
        r = records[f"eoffline-{m}"]
        assert r["ts"] == r["received_at"] - (10 - m) * MINUTE_MS


def test_a_huge_user_agent_is_cut_before_parsing(
    app: Flask, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ingest import enrich

    parsed: list[int] = []
    real_parse = enrich.parse_user_agent
    monkeypatch.setattr(enrich, "parse_user_agent", lambda ua: parsed.append(len(ua)) or real_parse(ua))
    enrich.user_agent_fields.cache_clear()
    headers = {"User-Agent": ANDROID_UA + "x" * 7000}
    response = app.test_client().post("/v1/collect", json=[event(1)], headers=headers)
    assert response.json == {"accepted": 1, "rejected": []}
    assert logged(app, settings)[0]["ua_os"] == "Android"
    assert parsed == [enrich.MAX_USER_AGENT_CHARS]
