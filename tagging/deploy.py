"""Check a definitions change against the deployed set, and publish it so the job loads it whole.

``deploy(source, target, dry_run=True)`` says what deploying ``source`` (one file, or a
directory that becomes the whole set) into the watched directory ``target`` would do: the
set that would result, whether it is valid, what it adds, removes and changes, and whether
the removal guard (:mod:`tagging.diff`) refuses it. Without ``dry_run`` a valid plan is
carried out: each file is sealed (:mod:`tagging.seal`), written under a hidden name, fsynced and renamed
into view, then files the new set no longer has are removed. The running job's watcher
only loads sealed files and waits for the directory to settle, so it sees the old set or
the new one, never a mix or a torn file.
"""

from __future__ import annotations

import fcntl
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

from core.contract import Catalogue
from core.files import fsync_dir, publish_file
from tagging.catalogue import (
    DefinitionSource,
    TagCatalogue,
    TagDefinitionError,
    build_catalogue,
    definition_files,
    is_definition_name,
    read_source,
    read_sources,
)
from tagging.diff import DEFAULT_MAX_REMOVED_SHARE, DefinitionDiff, diff_catalogues
from tagging.seal import SealState, seal, unseal

logger = logging.getLogger(__name__)


@dataclass
class DeployPlan:
    """What deploying ``source`` into ``target`` would do, and why it may not."""

    source: Path
    target: Path
    files: list[DefinitionSource] = field(default_factory=list)  # the set after the deploy
    writes: list[str] = field(default_factory=list)  # names the deploy (re)publishes, sealed
    deletes: list[str] = field(default_factory=list)  # names it removes from target
    seals: dict[str, SealState] = field(default_factory=dict)  # each file of the set, as it is now
    current: TagCatalogue | None = None  # the deployed set
    current_error: str | None = None  # why the deployed set does not load, if it does not
    candidate: TagCatalogue | None = None
    error: str | None = None  # why the resulting set is invalid
    diff: DefinitionDiff | None = None
    refusal: str | None = None  # why the removal guard refuses it

    @property
    def ok(self) -> bool:
        return self.error is None and self.refusal is None


def _deployed(plan: DeployPlan, contract: Catalogue | None) -> list[DefinitionSource] | None:
    """The files in ``target`` now (``None``: unreadable); sets ``current`` and ``current_error``."""
    if not plan.target.is_dir():
        plan.current_error = f"{plan.target}: no such directory"
        return []
    try:
        sources = read_sources(plan.target)
    except TagDefinitionError as exc:
        plan.current_error = str(exc)
        return None
    try:
        plan.current = build_catalogue(sources, contract, require_seal=True)
    except TagDefinitionError as exc:
        plan.current_error = str(exc)
        with suppress(TagDefinitionError):  # what the files define, so the diff still says something
            plan.current = build_catalogue(sources, contract)
    return sources


def _candidate_files(plan: DeployPlan, deployed: list[DefinitionSource] | None, name: str | None) -> None:
    source = plan.source
    if source.is_dir():
        plan.files = read_sources(source)
        plan.writes = [f.name for f in plan.files]
        plan.deletes = sorted({p.name for p in definition_files(plan.target)} - set(plan.writes))
        return
    if not source.is_file():
        problem = "not a regular file or directory" if source.exists() else "no such file or directory"
        raise TagDefinitionError(f"{source}: {problem}")
    if deployed is None:
        raise TagDefinitionError(f"cannot add one file to a set that cannot be read: {plan.current_error}")
    name = name or source.name
    if not is_definition_name(name):
        raise TagDefinitionError(f"{name!r}: not a definitions file name (letters, digits, _ . -, ending .yaml)")
    new = DefinitionSource(name, read_source(source).data)
    plan.files = sorted([f for f in deployed if f.name != name] + [new], key=lambda f: f.name)
    plan.writes = [name]


def _evaluate(plan: DeployPlan, name: str | None, contract: Catalogue | None, max_removed_share: float) -> None:
    """Fill ``plan`` in: the resulting set, its validity, its diff against the deployed set, the guard's verdict."""
    try:
        deployed = _deployed(plan, contract)
        _candidate_files(plan, deployed, name)
        plan.seals = {f.name: unseal(f.data).state for f in plan.files}
        kept_unsealed = [n for n, state in plan.seals.items() if n not in plan.writes and state != "sealed"]
        if kept_unsealed:
            raise TagDefinitionError(
                f"{', '.join(kept_unsealed)} in {plan.target} would stay unsealed, so the job would refuse the "
                "whole set: deploy the directory or that file too"
            )
        plan.candidate = build_catalogue(plan.files, contract)
    except TagDefinitionError as exc:
        plan.error = str(exc)
        return
    plan.diff = diff_catalogues(plan.current, plan.candidate)
    plan.refusal = plan.diff.refusal(max_removed_share)


@contextmanager
def deploy_lock(target: Path) -> Iterator[None]:
    """One deploy at a time per directory (a lock on the directory itself, so no lock file is
    left behind), so each plans against what the previous one published."""
    target.mkdir(parents=True, exist_ok=True)
    fd = os.open(target, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def publish(plan: DeployPlan) -> None:
    """Carry out a valid plan: seal and publish each new file by rename, then remove the dropped ones."""
    if not plan.ok:
        raise TagDefinitionError(plan.error or plan.refusal or "invalid plan")
    by_name = {f.name: f for f in plan.files}
    for name in plan.writes:
        publish_file(plan.target / name, seal(by_name[name].data), sync_dir=False)
    for name in plan.deletes:
        (plan.target / name).unlink(missing_ok=True)
    fsync_dir(plan.target)
    logger.info("deployed %s to %s: %s", plan.source, plan.target, ", ".join(plan.writes))


def deploy(
    source: Path,
    target: Path,
    *,
    name: str | None = None,
    contract: Catalogue | None = None,
    max_removed_share: float = DEFAULT_MAX_REMOVED_SHARE,
    dry_run: bool = False,
) -> DeployPlan:
    """Deploy ``source`` into the watched directory ``target`` if the result is valid and intended.

    ``source``: a file (replaces or joins the file of the same ``name`` in ``target``) or a
    directory (its files become the whole set). ``dry_run``: only say what would happen
    (``tags check``). Otherwise the plan is made and carried out under the directory's deploy lock.
    """
    plan = DeployPlan(Path(source), Path(target))
    if plan.target.exists() and not plan.target.is_dir():
        plan.error = f"{plan.target}: not a directory"
        return plan
    if dry_run:
        _evaluate(plan, name, contract, max_removed_share)
        return plan
    try:
        with deploy_lock(plan.target):
            _evaluate(plan, name, contract, max_removed_share)
            if plan.ok:
                publish(plan)
    except OSError as exc:  # the directory cannot be created, locked or written
        plan.error = f"{plan.target}: cannot deploy: {exc}"
    return plan
