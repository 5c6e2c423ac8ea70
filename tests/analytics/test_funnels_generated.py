"""On generated traffic the engine finds what touchstream/traffic/world.yaml planted, on both engines."""

from __future__ import annotations

import pytest

from analytics.funnels import run_funnel, saved_funnels
from core.clock import DAY_MS
from touchstream.traffic.generate import generate_world
from warehouse import Warehouse
from warehouse.sources import insert_events

START_MS = 1_780_000_000_000 // DAY_MS * DAY_MS


@pytest.fixture(scope="module")
def world() -> list[dict]:
    events = list(generate_world(users=2000, days=5, seed=3, start_ms=START_MS))
    return [e | {"received_at": e["ts"]} for e in events]


def test_plan_upgrade_loses_most_at_choose_upgrade_tier_and_web_lags(wh: Warehouse, world: list[dict]) -> None:
    insert_events(wh, world)
    result = run_funnel(saved_funnels()["plan_upgrade"].spec(), wh)
    drop = result.biggest_drop
    assert drop is not None
    # continue probabilities 0.78 then 0.32: most users stop after choosing the upgrade tier
    assert (drop.step_index, drop.from_step, drop.to_step) == (2, "choose_upgrade_tier", "confirm")
    assert 0.55 < drop.drop_rate < 0.8
    # channel factors web 0.8, app 1.15: web is flagged far below the others, app never
    flagged = {(o.value, o.step_index) for o in result.breakdown_outliers}
    assert ("web", 1) in flagged
    assert not any(value == "app" for value, _ in flagged)
    # a completed flow is followed by an order 95% of the time
    assert result.steps[3].conversion_from_previous > 0.85
