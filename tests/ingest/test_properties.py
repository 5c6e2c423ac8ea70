"""Property: whatever a client posts, the answer is 2xx or 4xx and no valid event is lost.

Hypothesis mixes valid events with arbitrary JSON values and arbitrary bytes, in one batch,
plain or gzipped, with or without the back end's key, through the real Flask app writing
real segment files.
"""

from __future__ import annotations

import gzip
import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.clock import now_ms
from core.config import load_settings
from core.credentials import backend_key
from ingest.app import INTERNAL_REASON, create_app
from ingest.limits import CollectorLimits
from ingest.segments import completed_segments

IDS = itertools.count()
ID_TEXT = st.text(alphabet="abcXYZ019_.:@+-", min_size=1, max_size=64)
JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**64 - 1)  # what orjson writes; bigger integers come as raw text below
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=15,
)
FIELDS = ("event_id", "user_id", "channel", "event", "ts", "sent_at", "session_id", "page", "props", "extra")


@st.composite
def valid_events(draw: st.DrawFn, backend: bool) -> dict[str, Any]:
    now = now_ms()
    age = draw(st.integers(0, 3_600_000))
    skew = draw(st.integers(-86_400_000, 86_400_000))
    e = {
        "event_id": f"valid-{next(IDS)}",
        "user_id": draw(ID_TEXT),
        "channel": draw(st.sampled_from(["web", "app", "wechat"])),
        "event": "click",
        "ts": now - age + skew,
        "props": {"element": draw(st.text(max_size=30)), "extra": draw(st.integers(-(2**63), 2**63) | st.booleans())},
    }
    if draw(st.booleans()):
        e["sent_at"] = now + skew
    else:
        e["ts"] = now - age
    if backend and draw(st.booleans()):
        e["event"], e["props"] = "topup", {"amount": draw(st.floats(0, 1e6))}
    return e


@st.composite
def batches(draw: st.DrawFn) -> tuple[bytes, list[str], bool, bool]:
    """(body, ids of the valid events, whether the body is valid JSON, with the back end's key)."""
    with_key = draw(st.booleans())
    parts: list[bytes] = []
    valid: list[str] = []
    json_body = True
    kinds = ["valid", "valid", "json", "spoiled", "spoiled", "bignum"]
    if draw(st.integers(0, 3)) == 0:  # a quarter of the bodies splice in raw bytes, mostly not JSON
        kinds.append("bytes")
    for _ in range(draw(st.integers(0, 30))):
        kind = draw(st.sampled_from(kinds))
        if kind == "valid":
            e = draw(valid_events(with_key))
            valid.append(e["event_id"])
            parts.append(orjson.dumps(e))
        elif kind == "json":
            parts.append(orjson.dumps(draw(JSON)))
        elif kind == "spoiled":  # a valid event with one or two fields (or props) replaced by anything
            e = draw(valid_events(with_key))
            for field in draw(st.lists(st.sampled_from(FIELDS), min_size=1, max_size=2)):
                target = e["props"] if isinstance(e["props"], dict) and draw(st.booleans()) else e
                target[field] = draw(JSON)
            parts.append(orjson.dumps(e))
        elif kind == "bignum":
            parts.append(str(draw(st.integers())).encode())
        else:
            raw = draw(st.binary(max_size=40))
            parts.append(raw)
            json_body = json_body and _is_json(raw)
    sep = draw(st.sampled_from([b",", b" , ", b",\n\t"]))
    return b"[" + sep.join(parts) + b"]", valid, json_body, with_key


def _is_json(raw: bytes) -> bool:
    try:
        orjson.loads(raw)
    except orjson.JSONDecodeError:
        return False
    return bool(raw.strip())


class LogReader:
    """Reads the records of segments published since the last call."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.seen: set[Path] = set()

    def new_records(self) -> list[dict[str, Any]]:
        out = []
        for path in completed_segments(self.directory):
            if path not in self.seen:
                self.seen.add(path)
                out.extend(orjson.loads(line) for line in path.read_bytes().splitlines())
        return out


@pytest.fixture(scope="module")
def harness(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Flask, LogReader, LogReader, str]]:
    settings = load_settings(env={}, home=tmp_path_factory.mktemp("props") / "home")
    app = create_app(settings, limits=CollectorLimits(max_body_bytes=256 * 1024, max_events_per_batch=100))
    yield app, LogReader(settings.event_log), LogReader(settings.quarantine_log), backend_key(settings)
    app.extensions["touchstream.collector"].events.close()
    app.extensions["touchstream.collector"].quarantine.close()


def post(app: Flask, body: bytes, key: str | None, gzipped: bool) -> Any:
    headers = {"Content-Type": "application/json"}
    if key:
        headers["Authorization"] = f"Bearer {key}"
    if gzipped:
        body, headers["Content-Encoding"] = gzip.compress(body), "gzip"
    response = app.test_client().post("/v1/collect", data=body, headers=headers)
    collector = app.extensions["touchstream.collector"]
    collector.events.roll()
    collector.quarantine.roll()
    return response


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batch=batches(), gzipped=st.booleans())
def test_valid_events_survive_any_neighbours(harness, batch, gzipped: bool) -> None:
    app, events, quarantine, key = harness
    body, valid, json_body, with_key = batch
    response = post(app, body, key if with_key else None, gzipped)
    logged = events.new_records()
    bad = quarantine.new_records()
    assert response.status_code < 500
    if not json_body:
        assert response.status_code in (200, 400)  # arbitrary bytes may still happen to be JSON
    else:
        assert response.status_code == 200, response.json
    if response.status_code != 200:
        assert logged == [] and len(bad) == 1 and bad[0]["index"] == -1
        return
    answer = response.json
    assert {e["event_id"] for e in logged} >= set(valid)
    assert answer["accepted"] == len(logged)
    assert all(e["ts"] <= e["received_at"] for e in logged)
    assert [(q["index"], q["reason"]) for q in bad] == [(r["index"], r["reason"]) for r in answer["rejected"]]
    assert all(r["reason"] and r["reason"] != INTERNAL_REASON for r in answer["rejected"])  # the net caught no bug


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.binary(max_size=300), gzipped=st.booleans(), declared_gzip=st.booleans())
def test_arbitrary_bytes_get_a_2xx_or_4xx(harness, body: bytes, gzipped: bool, declared_gzip: bool) -> None:
    app = harness[0]
    headers = {"Content-Type": "application/json"}
    if gzipped:
        body = gzip.compress(body)
    if declared_gzip:
        headers["Content-Encoding"] = "gzip"
    response = app.test_client().post("/v1/collect", data=body, headers=headers)
    assert 200 <= response.status_code < 500
    assert "error" in response.json or "accepted" in response.json
