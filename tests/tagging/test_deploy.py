"""``deploy`` publishes only valid, intended sets, sealed and by rename, and the watcher takes them."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from tagging.deploy import deploy, deploy_lock
from tagging.seal import seal, unseal
from tagging.watcher import TagCatalogueWatcher
from tests.tagging.definitions import copy_definitions, half_that_parses, shipped_text, ten_day_orderers


@pytest.fixture
def target(tmp_path: Path) -> Path:
    return copy_definitions(tmp_path)


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_a_deployed_file_is_sealed_published_and_reloaded(tmp_path: Path, target: Path) -> None:
    watcher = TagCatalogueWatcher(target, min_interval_s=0, settle_s=0)
    text = ten_day_orderers()
    plan = deploy(write(tmp_path / "work" / "tags.yaml", text), target)
    assert plan.ok and plan.writes == ["tags.yaml"] and plan.current_error is None
    assert plan.diff is not None and plan.candidate is not None and not plan.diff.removed
    assert set(plan.diff.changed) == {tag for tag in plan.candidate.tags if tag.startswith("orderer:")}
    assert plan.diff.changed["orderer:plan"] == ("window_days: 30 -> 10",)
    published = (target / "tags.yaml").read_bytes()
    assert published == seal(text.encode()) and unseal(published).state == "sealed"
    assert sorted(p.name for p in target.iterdir()) == ["tags.yaml"]  # no hidden file left behind
    assert watcher.current().tags["orderer:plan"].params.window_days == 10  # type: ignore[attr-defined]


def test_an_invalid_file_is_not_deployed(tmp_path: Path, target: Path) -> None:
    before = (target / "tags.yaml").read_bytes()
    plan = deploy(write(tmp_path / "tags.yaml", "tags:\n  - name: orderer:nothing\n"), target)
    assert not plan.ok and "unknown business line 'nothing'" in str(plan.error)
    assert (target / "tags.yaml").read_bytes() == before


def test_a_large_removal_is_refused_unless_allowed(tmp_path: Path, target: Path) -> None:
    before = (target / "tags.yaml").read_bytes()
    source = write(tmp_path / "tags.yaml", half_that_parses(shipped_text()))
    plan = deploy(source, target)
    assert plan.refusal is not None and plan.diff is not None and len(plan.diff.removed) > 30
    assert (target / "tags.yaml").read_bytes() == before
    assert deploy(source, target, max_removed_share=1.0).ok
    assert unseal((target / "tags.yaml").read_bytes()).state == "sealed"


def test_a_directory_becomes_the_whole_set(tmp_path: Path, target: Path) -> None:
    write(target / "extra.yaml", "tags:\n  - name: orderer:plan/x\n")
    deploy(write(tmp_path / "extra.yaml", "tags:\n  - name: orderer:plan/x\n"), target)  # seal it
    source = tmp_path / "set"
    write(source / "tags.yaml", shipped_text())
    write(source / "more.yaml", "tags:\n  - name: orderer:plan/y\n")
    plan = deploy(source, target)
    assert plan.ok and plan.deletes == ["extra.yaml"] and plan.writes == ["more.yaml", "tags.yaml"]
    assert plan.diff is not None and plan.diff.added == ("orderer:plan/y",) and plan.diff.removed == ("orderer:plan/x",)
    assert sorted(p.name for p in target.iterdir()) == ["more.yaml", "tags.yaml"]
    assert all(unseal(p.read_bytes()).state == "sealed" for p in target.iterdir())


def test_a_first_deploy_creates_the_directory(tmp_path: Path) -> None:
    target = tmp_path / "new" / "defs"
    plan = deploy(write(tmp_path / "tags.yaml", shipped_text()), target)
    assert plan.ok and plan.current is None and "no tag definitions in 0 file(s)" in str(plan.current_error)
    assert TagCatalogueWatcher(target).current().tags.keys() == plan.candidate.tags.keys()  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "name", [".tags.yaml", "_tags.yaml", "tags.yml", "../tags.yaml", "sub/tags.yaml", "a\nb.yaml", "x" * 300 + ".yaml"]
)
def test_a_name_the_watcher_would_not_load_is_refused(tmp_path: Path, target: Path, name: str) -> None:
    plan = deploy(write(tmp_path / "tags.yaml", shipped_text()), target, name=name)
    assert "not a definitions file name" in str(plan.error)
    assert sorted(p.name for p in target.iterdir()) == ["tags.yaml"]


def test_an_unsealed_file_left_in_place_fails_the_plan(tmp_path: Path, target: Path) -> None:
    write(target / "extra.yaml", "tags:\n  - name: orderer:plan/x\n")
    plan = deploy(write(tmp_path / "tags.yaml", shipped_text()), target, dry_run=True)
    assert "extra.yaml in" in str(plan.error) and "would stay unsealed" in str(plan.error)
    assert "extra.yaml: not sealed" in str(plan.current_error)


def test_a_missing_or_special_source_is_an_error(tmp_path: Path, target: Path) -> None:
    assert "no such file or directory" in str(deploy(tmp_path / "nope.yaml", target, dry_run=True).error)
    os.mkfifo(tmp_path / "pipe.yaml")
    assert "not a regular file or directory" in str(deploy(tmp_path / "pipe.yaml", target, dry_run=True).error)


def test_deploys_to_one_directory_take_turns(tmp_path: Path, target: Path) -> None:
    source = write(tmp_path / "extra.yaml", "tags:\n  - name: orderer:plan/x\n")
    done = threading.Event()
    worker = threading.Thread(target=lambda: (deploy(source, target), done.set()), daemon=True)
    with deploy_lock(target):
        worker.start()
        assert not done.wait(0.3)  # blocked behind the lock we hold
        assert not (target / "extra.yaml").exists()
    assert done.wait(10)
    worker.join(10)
    assert unseal((target / "extra.yaml").read_bytes()).state == "sealed"


def test_a_target_that_is_not_a_directory_is_an_error(tmp_path: Path) -> None:
    source = write(tmp_path / "tags.yaml", shipped_text())
    assert "not a directory" in str(deploy(source, source, dry_run=True).error)
    assert "not a directory" in str(deploy(source, source).error)
    assert "cannot deploy" in str(deploy(source, source / "defs").error)
    assert source.read_text() == shipped_text()
