"""A definition change applies to new events without losing state; a bad file changes nothing."""

from __future__ import annotations

from pathlib import Path

from tagging.catalogue import DefinitionSource, TagCatalogue, build_catalogue, load_tag_catalogue
from tagging.engine import TagEngine
from tagging.state import UserState
from tagging.watcher import TagCatalogueWatcher
from tests.tagging.builders import DAY, T0, ev, order, step
from tests.tagging.definitions import (
    copy_definitions,
    edited,
    half_that_parses,
    overwrite_in_place,
    publish_sealed,
    shipped_text,
    tags_of,
)


def variant(_: Path, old: str, new: str) -> TagCatalogue:
    return build_catalogue([DefinitionSource("tags.yaml", edited(old, new).encode())])


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


def watched_tagged_user(tmp_path: Path) -> tuple[Path, TagCatalogueWatcher, TagEngine, UserState]:
    """A watched copy of the definitions, and a user holding tags from all over the file."""
    directory = copy_definitions(tmp_path)
    watcher = TagCatalogueWatcher(directory, min_interval_s=0, settle_s=0)
    engine = TagEngine(watcher.current())
    state = UserState(user_id="u1")
    for event in (order(T0, "plan"), ev("share", T0, business="topup", share_id="s1"), step(T0, "topup", 1, "topup")):
        engine.on_event(state, event)
    engine.advance(state, T0 + 3_600_000)
    assert {"orderer:plan", "sharer:topup", "abandoned_mid_flow:topup"} <= set(state.tags)
    return directory, watcher, engine, state


def cleared_on_next_event(watcher: TagCatalogueWatcher, engine: TagEngine, state: UserState) -> set[tuple[str, int]]:
    """What the user loses when the job hands the engine the watcher's catalogue and an event arrives."""
    engine.set_catalogue(watcher.current())
    out = engine.on_event(state, ev("click", T0 + DAY, element="x"))
    return {(c.tag, c.ts_ms) for c in out if c.action == "cleared"}


def test_a_torn_or_wrong_file_clears_no_tag(tmp_path: Path) -> None:
    directory, watcher, engine, state = watched_tagged_user(tmp_path)
    half = half_that_parses(shipped_text())
    assert "orderer:plan" not in tags_of(half)
    overwrite_in_place(directory / "tags.yaml", half)  # torn in place: no seal
    assert cleared_on_next_event(watcher, engine, state) == set()
    publish_sealed(directory, half)  # complete, but not what anyone meant to deploy
    assert cleared_on_next_event(watcher, engine, state) == set()
    assert {"orderer:plan", "sharer:topup"} <= set(state.tags)


def test_an_intended_deletion_clears_the_retired_tags_at_the_users_clock(tmp_path: Path) -> None:
    directory, watcher, engine, state = watched_tagged_user(tmp_path)
    half = half_that_parses(shipped_text())
    retired = sorted(set(watcher.current().tags) - tags_of(half))
    publish_sealed(directory, half + f"retired: [{', '.join(retired)}]\n")
    assert cleared_on_next_event(watcher, engine, state) == {
        ("orderer:plan", T0 + 3_600_000),
        ("sharer:topup", T0 + 3_600_000),
    }
    assert watcher.last_error is None and "abandoned_mid_flow:topup" in state.tags
