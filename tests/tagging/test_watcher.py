"""The watcher applies only complete, valid, intended definition sets and survives any file."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from core.files import hidden_name
from tagging.catalogue import MAX_FILE_BYTES, TagDefinitionError
from tagging.seal import seal
from tagging.watcher import TagCatalogueWatcher
from tests.tagging.definitions import (
    HOSTILE,
    copy_definitions,
    edited,
    half_that_parses,
    overwrite_in_place,
    publish_sealed,
    shipped_text,
    tags_of,
    ten_day_orderers,
)


@pytest.fixture
def directory(tmp_path: Path) -> Path:
    return copy_definitions(tmp_path)


@pytest.fixture
def watcher(directory: Path) -> TagCatalogueWatcher:
    return TagCatalogueWatcher(directory, min_interval_s=0, settle_s=0)


def test_a_rename_published_sealed_file_is_reloaded(directory: Path, watcher: TagCatalogueWatcher) -> None:
    first = watcher.current()
    assert watcher.current() is first  # nothing changed: no reload
    publish_sealed(directory, ten_day_orderers())
    second = watcher.current()
    assert second is not first and second.fingerprint != first.fingerprint
    assert second.tags["orderer:plan"].params.window_days == 10  # type: ignore[attr-defined]
    assert set(second.tags) == set(first.tags) and watcher.last_error is None


@pytest.mark.parametrize("kind", sorted(HOSTILE))
def test_a_hostile_file_keeps_the_previous_catalogue(directory: Path, watcher: TagCatalogueWatcher, kind: str) -> None:
    """Sealed, so each one gets past the completeness check to the parser."""
    first = watcher.current()
    data, reason = HOSTILE[kind]
    publish_sealed(directory, data)
    assert watcher.current() is first
    assert watcher.last_error and watcher.last_error.startswith("tags.yaml")
    assert reason in watcher.last_error
    # and a good file afterwards is loaded again
    publish_sealed(directory, ten_day_orderers())
    assert watcher.current() is not first and watcher.last_error is None


def test_a_huge_file_is_refused_before_it_is_read(directory: Path, watcher: TagCatalogueWatcher) -> None:
    first = watcher.current()
    publish_sealed(directory, shipped_text() + "#" * MAX_FILE_BYTES + "\n")
    assert watcher.current() is first
    assert f"larger than {MAX_FILE_BYTES} bytes" in str(watcher.last_error)


@pytest.mark.parametrize("write", ["truncated", "edited in place"])
def test_a_file_that_is_not_a_sealed_whole_is_refused(
    directory: Path, watcher: TagCatalogueWatcher, write: str
) -> None:
    first = watcher.current()
    sealed = (directory / "tags.yaml").read_bytes()
    torn = sealed[: len(sealed) // 2] if write == "truncated" else ten_day_orderers().encode()
    overwrite_in_place(directory / "tags.yaml", torn)
    assert watcher.current() is first
    assert "tags.yaml: not sealed" in str(watcher.last_error)


def test_a_half_written_file_that_parses_is_refused_and_the_whole_one_loads(
    directory: Path, watcher: TagCatalogueWatcher
) -> None:
    """The issue's case: a torn write that is valid YAML and would clear 37 tags for everyone."""
    first = watcher.current()
    whole = seal(ten_day_orderers().encode())
    half = half_that_parses(whole.decode())
    assert len(tags_of(half)) < len(first.tags) - 30  # it does parse, and would clear 30+ tags
    overwrite_in_place(directory / "tags.yaml", half)  # an editor writing in place, caught mid-way
    assert watcher.current() is first
    assert "not sealed" in str(watcher.last_error)
    overwrite_in_place(directory / "tags.yaml", whole)  # ... and finished
    assert watcher.current().tags["orderer:plan"].params.window_days == 10  # type: ignore[attr-defined]
    assert watcher.last_error is None


def test_a_sealed_file_that_drops_many_tags_is_refused(directory: Path, watcher: TagCatalogueWatcher) -> None:
    """A complete file, just the wrong one: the removal guard stops it."""
    first = watcher.current()
    publish_sealed(directory, half_that_parses(shipped_text()))
    assert watcher.current() is first
    assert "List them under `retired:`" in str(watcher.last_error)


def test_an_intended_deletion_lists_the_retired_tags(directory: Path, watcher: TagCatalogueWatcher) -> None:
    first = watcher.current()
    half = half_that_parses(shipped_text())
    dropped = sorted(set(first.tags) - tags_of(half))
    assert len(dropped) > 0.1 * len(first.tags)
    publish_sealed(directory, half + f"retired: [{', '.join(dropped)}]\n")
    second = watcher.current()
    assert watcher.last_error is None
    assert set(second.tags) == set(first.tags) - set(dropped) and second.retired == set(dropped)


def test_a_small_deletion_needs_no_declaration(directory: Path, watcher: TagCatalogueWatcher) -> None:
    first = watcher.current()
    publish_sealed(directory, edited("  - name: orderer:handset\n", "  - name: orderer:handset/gone\n"))
    assert set(first.tags) - set(watcher.current().tags) == {"orderer:handset"}
    assert watcher.last_error is None


def test_removing_a_file_is_a_deletion_like_any_other(directory: Path, watcher: TagCatalogueWatcher) -> None:
    publish_sealed(directory, "tags:\n  - name: orderer:plan/quick\n    params: {window_days: 2}\n", "extra.yaml")
    assert "orderer:plan/quick" in watcher.current().tags
    (directory / "extra.yaml").unlink()
    assert "orderer:plan/quick" not in watcher.current().tags and watcher.last_error is None


def test_files_being_written_under_hidden_names_are_not_looked_at(
    directory: Path, watcher: TagCatalogueWatcher
) -> None:
    first = watcher.current()
    (directory / hidden_name("tags.yaml")).write_text("tags: [")
    (directory / "_draft.yaml").write_text("tags: [")
    assert watcher.current() is first and watcher.last_error is None


def test_a_fifo_named_like_definitions_does_not_block(directory: Path, watcher: TagCatalogueWatcher) -> None:
    first = watcher.current()
    os.mkfifo(directory / "pipe.yaml")
    assert watcher.current() is first and watcher.last_error is None


def test_a_change_is_applied_once_the_directory_has_settled(directory: Path) -> None:
    watcher = TagCatalogueWatcher(directory, min_interval_s=0, settle_s=0.3)
    first = watcher.current()
    publish_sealed(directory, "tags:\n  - name: orderer:plan/quick\n", "extra.yaml")
    assert watcher.current() is first  # seen, not yet settled
    time.sleep(0.35)
    assert "orderer:plan/quick" in watcher.current().tags


def test_files_are_checked_at_most_every_interval(directory: Path) -> None:
    watcher = TagCatalogueWatcher(directory, min_interval_s=3600, settle_s=0)
    first = watcher.current()
    publish_sealed(directory, "tags:\n  - name: orderer:plan/x\n", "extra.yaml")
    assert watcher.current() is first


def test_the_first_load_needs_a_sealed_set(directory: Path) -> None:
    overwrite_in_place(directory / "tags.yaml", shipped_text())
    with pytest.raises(TagDefinitionError, match="not sealed"):
        TagCatalogueWatcher(directory)


def test_an_unexpected_error_keeps_the_job_alive(
    directory: Path, watcher: TagCatalogueWatcher, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whatever escapes the loader (here a RecursionError) is logged, never raised to the job."""
    first = watcher.current()

    def explode(*_: object, **__: object) -> None:
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr("tagging.watcher.load_tag_catalogue", explode)
    publish_sealed(directory, "tags:\n  - name: orderer:plan/x\n", "extra.yaml")
    assert watcher.current() is first
    assert watcher.last_error == "RecursionError: maximum recursion depth exceeded"
