"""The collector app in-process (Flask test client) over real segment files, and event builders."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from core.clock import now_ms
from core.config import Settings
from core.credentials import backend_key
from ingest.app import create_app
from ingest.limits import CollectorLimits
from ingest.segments import read_segments


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


@pytest.fixture
def backend_auth(settings: Settings) -> dict[str, str]:
    return {"Authorization": f"Bearer {backend_key(settings)}"}


def flush(app: Flask) -> None:
    collector = app.extensions["touchstream.collector"]
    collector.events.roll()
    collector.quarantine.roll()


def logged(app: Flask, settings: Settings) -> list[dict[str, Any]]:
    flush(app)
    return list(read_segments(settings.event_log))


def quarantined(app: Flask, settings: Settings) -> list[dict[str, Any]]:
    flush(app)
    return list(read_segments(settings.quarantine_log))


def event(i: int | str, **overrides: object) -> dict[str, Any]:
    e: dict[str, Any] = {
        "event_id": f"e{i}",
        "user_id": "u1",
        "channel": "web",
        "event": "page_view",
        "ts": now_ms(),
        "props": {"business": "plan"},
    }
    e.update(overrides)
    return e


def topup(i: int | str, **overrides: object) -> dict[str, Any]:
    return event(i, event="topup", props={"amount": 50}, **overrides)
