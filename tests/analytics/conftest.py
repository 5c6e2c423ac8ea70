"""Fixtures and builders of the analytics tests (engines: tests/fixtures/)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.analytics.touchpoint_world import world
from tests.fixtures.redis import redis_client, redis_socket, redis_url  # noqa: F401 - fixtures
from tests.warehouse.conftest import owner  # noqa: F401 - fixture: `touchstream warehouse` running
from warehouse import Warehouse
from warehouse.sources import insert_events

T0 = 1_790_000_000_000  # 2026-09-21 13:33:20 UTC, ms
SECOND = 1000


@pytest.fixture
def touchpoint_world(wh: Warehouse) -> Warehouse:
    """A migrated warehouse on each engine holding the hand-worked world of touchpoint_world.py."""
    insert_events(wh, world().records)
    return wh


def event(
    user: str,
    name: str,
    at_s: float,
    channel: str = "app",
    event_id: str | None = None,
    **props: Any,
) -> dict[str, Any]:
    """An event-log record (docs/CONTRACTS.md) ``at_s`` seconds after T0."""
    ts = T0 + int(at_s * SECOND)
    return {
        "event_id": event_id or f"{user}-{name}-{ts}-{sorted(props.items())}",
        "user_id": user,
        "channel": channel,
        "event": name,
        "ts": ts,
        "received_at": ts + 40,
        "session_id": "s",
        "page": "/",
        "props": props,
    }


def flow_step(user: str, step: int, at_s: float, channel: str = "app", flow: str = "plan_upgrade") -> dict[str, Any]:
    return event(user, "flow_step", at_s, channel, flow=flow, step=step, business="plan")
