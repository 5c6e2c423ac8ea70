"""The engine against the independent oracle on a generated world with planted behaviour."""

from __future__ import annotations

from typing import Any

import pytest

from tagging.catalogue import TagCatalogue
from tagging.engine import TagEngine
from tagging.families import FAMILIES
from tests.tagging.builders import DAY, MINUTE
from tests.tagging.harness import run_world
from tests.tagging.oracle import expected_tags
from tests.tagging.planted import START, build_world, checkpoints


@pytest.fixture(scope="module")
def world() -> list[dict[str, Any]]:
    return build_world()


def test_engine_matches_oracle_on_generated_world(
    engine: TagEngine, catalogue: TagCatalogue, world: list[dict[str, Any]]
) -> None:
    points = checkpoints()
    snapshots, changes = run_world(engine, world, points)
    seen_families = set()
    for at in points:
        expected = expected_tags(world, catalogue, at)
        assert snapshots[at] == expected, f"at {at}: engine and oracle disagree"
        seen_families |= {tag.split(":")[0].split("/")[0] for tags in expected.values() for tag in tags}
    # the world exercises every family, so the comparison means something
    assert seen_families == set(FAMILIES)
    close = START + 2 * DAY + 9 * 3600_000 + 35 * MINUTE  # when the planted handset windows close
    at_close = {user: tags for user, tags in snapshots[close].items() if user.startswith("p-")}
    assert "abandoned_mid_flow:handset_order" in at_close["p-late"]
    assert "abandoned_mid_flow:handset_order" not in at_close.get("p-early", {})
    assert "abandoned_mid_flow:handset_order" not in at_close.get("p-exact", {})  # set and cleared at the close
    after = snapshots[max(points)]
    t = close - 35 * MINUTE
    referrer = [(c.action, c.ts_ms) for c in changes["p-share"] if c.tag == "referrer:plan"]
    assert referrer == [("set", t + DAY), ("set", t + 29 * DAY)]  # not the self visit, not the late one
    assert "silent_churn_risk" in after["p-quiet"]
    assert "silent_churn_risk" not in after.get("p-quiet2", {})
    assert sum(len(c) for c in changes.values()) > 500


def test_batching_and_serialisation_do_not_change_the_output(
    engine: TagEngine, catalogue: TagCatalogue, world: list[dict[str, Any]]
) -> None:
    _, few = run_world(engine, world, [START + 60 * DAY])
    _, many = run_world(TagEngine(catalogue), world, [START + d * 3600_000 for d in range(0, 60 * 24, 5)], True)
    assert few == many
