"""A definition change applies to new events without losing state."""

from __future__ import annotations

import shutil
from pathlib import Path

from tagging.catalogue import DEFINITIONS_DIR, TagCatalogue, load_tag_catalogue
from tagging.engine import TagEngine
from tagging.state import UserState
from tests.tagging.builders import DAY, T0, ev, order, step


def variant(tmp_path: Path, old: str, new: str) -> TagCatalogue:
    directory = tmp_path / "defs"
    shutil.copytree(DEFINITIONS_DIR, directory, dirs_exist_ok=True)
    path = directory / "tags.yaml"
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))
    return load_tag_catalogue(directory)


def test_new_parameters_apply_and_state_survives(catalogue: TagCatalogue, tmp_path: Path) -> None:
    engine = TagEngine(catalogue)
    state = UserState()
    engine.on_event(state, order(T0, "plan"))
    engine.on_event(state, step(T0, "plan_upgrade", 1, "plan"))
    assert state.tags["orderer:plan"] == [T0, T0 + 30 * DAY]
    engine.set_catalogue(variant(tmp_path, "orderer: {window_days: 30}", "orderer: {window_days: 10}"))
    out = engine.on_event(state, ev("click", T0 + DAY, element="x"))
    # re-evaluated under the new window at the user's next call; the open flow window survived
    refreshed = [(c.action, c.ts_ms, c.expires_at_ms) for c in out if c.tag == "orderer:plan"]
    assert refreshed == [("set", T0, T0 + 10 * DAY)]
    assert "abandoned_mid_flow:plan_upgrade" in state.tags
    assert state.tags["orderer:plan"] == [T0, T0 + 10 * DAY]
    out = engine.advance(state, T0 + 11 * DAY)
    assert ("orderer:plan", "cleared", T0 + 10 * DAY) in [(c.tag, c.action, c.ts_ms) for c in out]


def test_shorter_window_clears_at_the_users_clock(catalogue: TagCatalogue, tmp_path: Path) -> None:
    engine = TagEngine(catalogue)
    state = UserState()
    engine.on_event(state, order(T0, "plan"))
    engine.advance(state, T0 + 12 * DAY)
    engine.set_catalogue(variant(tmp_path, "orderer: {window_days: 30}", "orderer: {window_days: 10}"))
    out = engine.advance(state, T0 + 12 * DAY)
    assert [(c.tag, c.action, c.ts_ms) for c in out] == [("orderer:plan", "cleared", T0 + 12 * DAY)]


def test_removed_tag_is_cleared_and_forgotten(catalogue: TagCatalogue, tmp_path: Path) -> None:
    engine = TagEngine(catalogue)
    state = UserState()
    engine.on_event(state, order(T0, "handset"))
    smaller = variant(tmp_path, "  - name: orderer:handset\n", "  - name: orderer:handset/gone\n")
    engine.set_catalogue(smaller)
    out = engine.on_event(state, order(T0 + DAY, "handset"))
    assert [(c.tag, c.action, c.ts_ms) for c in out if c.tag.startswith("orderer:handset")] == [
        ("orderer:handset", "cleared", T0),
        ("orderer:handset/gone", "set", T0 + DAY),
    ]
    assert "orderer:handset" not in state.hits


def test_unchanged_definitions_reloaded_change_nothing(catalogue: TagCatalogue) -> None:
    engine = TagEngine(catalogue)
    state = UserState()
    engine.on_event(state, order(T0, "plan"))
    engine.set_catalogue(load_tag_catalogue())
    assert engine.on_event(state, ev("click", T0 + 1, element="x")) == []
