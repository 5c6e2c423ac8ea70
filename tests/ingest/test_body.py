"""Whole-body checks: strict gzip (one complete member, nothing after it) and size limits."""

from __future__ import annotations

import gzip
import zlib

import orjson
import pytest
from flask import Flask
from flask.testing import FlaskClient

from core.config import Settings
from ingest.body import BodyRejected, gunzip
from tests.ingest.conftest import event, logged, quarantined

BATCH = orjson.dumps([event(i) for i in range(3)])
GOOD = gzip.compress(BATCH)


@pytest.mark.parametrize(
    ("body", "status", "reason"),
    [
        (GOOD + b"garbage", 400, "gzip body has 7 trailing bytes after its end"),
        (GOOD + b"\x00", 400, "gzip body has 1 trailing bytes"),
        (GOOD + gzip.compress(b"[]"), 400, "gzip body has more than one member"),
        (GOOD + GOOD, 400, "more than one member"),
        (GOOD[:-8], 400, "gzip body is truncated"),  # no trailer
        (GOOD[:-3], 400, "gzip body is truncated"),  # half a trailer
        (GOOD[: len(GOOD) // 2], 400, "gzip body is truncated"),
        (GOOD[:-8] + b"\x00\x00\x00\x00" + GOOD[-4:], 400, "incorrect data check"),  # wrong CRC
        (GOOD[:-4] + b"\x00\x00\x00\x00", 400, "incorrect length check"),  # wrong ISIZE
        (b"", 400, "gzip body is truncated"),
        (b"\x1f\x8b", 400, "gzip body is truncated"),
        (zlib.compress(BATCH), 400, "not valid gzip"),  # zlib, not gzip
        (gzip.compress(b"\x00" * (10 * 1024 * 1024)), 413, "decompressed body over 65536 bytes"),  # ~10 KB bomb
        (gzip.compress(b"[" * 60_000), 400, "body is not valid JSON"),  # a deep-nesting bomb
    ],
)
def test_bad_gzip_bodies_get_a_4xx_with_a_reason(
    app: Flask, client: FlaskClient, settings: Settings, body: bytes, status: int, reason: str
) -> None:
    headers = {"Content-Type": "application/json", "Content-Encoding": "gzip"}
    response = client.post("/v1/collect", data=body, headers=headers)
    assert response.status_code == status
    assert reason in response.json["error"]
    assert logged(app, settings) == []
    (record,) = quarantined(app, settings)
    assert record["index"] == -1 and reason in record["reason"]


def test_good_gzip_is_accepted(app: Flask, client: FlaskClient, settings: Settings) -> None:
    headers = {"Content-Type": "application/json", "Content-Encoding": " GZIP "}
    assert client.post("/v1/collect", data=GOOD, headers=headers).json == {"accepted": 3, "rejected": []}
    assert len(logged(app, settings)) == 3


def test_gunzip_takes_exactly_the_limit() -> None:
    assert gunzip(gzip.compress(b"x" * 100), 100) == b"x" * 100
    with pytest.raises(BodyRejected, match="over 99 bytes"):
        gunzip(gzip.compress(b"x" * 100), 99)


def test_a_refused_gzip_body_is_quarantined_decompressed(app: Flask, client: FlaskClient, settings: Settings) -> None:
    body = gzip.compress(b'{"not": "an array"}')
    headers = {"Content-Type": "application/json", "Content-Encoding": "gzip"}
    assert client.post("/v1/collect", data=body, headers=headers).status_code == 400
    (record,) = quarantined(app, settings)
    assert record["raw"] == '{"not": "an array"}'
