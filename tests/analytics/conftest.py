"""Fixtures of the analytics tests."""

from __future__ import annotations

import pytest

from tests.analytics.touchpoint_world import world
from warehouse import Warehouse
from warehouse.sources import insert_events


@pytest.fixture
def touchpoint_world(wh: Warehouse) -> Warehouse:
    """A migrated warehouse on each engine holding the hand-worked world of touchpoint_world.py."""
    insert_events(wh, world().records)
    return wh
