"""Reload tag definitions when their files change, keeping the last good catalogue.

The stream job's tag step calls :meth:`TagCatalogueWatcher.current` per batch, and a tag
missing from a reloaded set is cleared for every user, so a reload must only ever apply
a complete, valid, intended set (docs/tags.md, "Deploying definitions"):

- complete: every file carries a matching seal (:mod:`tagging.seal`), which
  ``touchstream tags deploy`` writes before publishing the file by rename;
- valid: the whole set loads (:func:`tagging.catalogue.load_tag_catalogue`);
- intended: it drops no more than ``max_removed_share`` of the tags in force unless it
  lists them under ``retired:`` (:mod:`tagging.diff`);
- settled: the files have not changed for ``settle_s``, so a deploy that publishes several
  files is applied as one set.

Anything else is refused: the previous catalogue stays in force and the reason is logged
and kept in ``last_error`` until a later set loads.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

from core.contract import Catalogue
from tagging.catalogue import (
    DEFINITIONS_DIR,
    TagCatalogue,
    TagDefinitionError,
    definition_files,
    load_tag_catalogue,
)
from tagging.diff import DEFAULT_MAX_REMOVED_SHARE, diff_catalogues

logger = logging.getLogger(__name__)

Signature = tuple[tuple[str, int, int, int], ...]


class TagCatalogueWatcher:
    """``current()`` returns the catalogue in force for the definitions in ``path``.

    Files are stat'ed at most every ``min_interval_s`` (it is called per batch); a change in
    any file's inode, mtime or size, or a file added or removed, is a new set, tried once it
    has been stable for ``settle_s``. The first load must succeed (there is nothing to keep).
    """

    def __init__(
        self,
        path: Path = DEFINITIONS_DIR,
        contract: Catalogue | None = None,
        min_interval_s: float = 1.0,
        *,
        settle_s: float = 1.0,
        max_removed_share: float = DEFAULT_MAX_REMOVED_SHARE,
    ) -> None:
        self.path = Path(path)
        self.contract = contract
        self.min_interval_s = min_interval_s
        self.settle_s = settle_s
        self.max_removed_share = max_removed_share
        self.last_error: str | None = None
        self._tried = self._seen = self._stat()
        self._catalogue = load_tag_catalogue(self.path, contract, require_seal=True)
        self._checked = self._seen_at = time.monotonic()

    def _stat(self) -> Signature:
        out = []
        for p in definition_files(self.path):
            try:
                st = p.stat()
            except FileNotFoundError:
                continue
            out.append((p.name, st.st_ino, st.st_mtime_ns, st.st_size))
        return tuple(out)

    def current(self) -> TagCatalogue:
        now = time.monotonic()
        if now - self._checked < self.min_interval_s:
            return self._catalogue
        self._checked = now
        try:
            signature = self._stat()
        except OSError as exc:
            self._refuse(f"{self.path}: cannot list the definitions: {exc}")
            return self._catalogue
        if signature == self._tried:
            return self._catalogue
        if signature != self._seen:  # still changing, or a new change: wait until it settles
            self._seen, self._seen_at = signature, now
        if now - self._seen_at >= self.settle_s:
            self._tried = signature
            self._reload()
        return self._catalogue

    def _reload(self) -> None:
        try:
            candidate = load_tag_catalogue(self.path, self.contract, require_seal=True)
            diff = diff_catalogues(self._catalogue, candidate)
            refusal = diff.refusal(self.max_removed_share)
            if refusal:
                raise TagDefinitionError(refusal)
        except TagDefinitionError as exc:
            self._refuse(str(exc))
            return
        except Exception as exc:  # a bug rather than a bad file; still no reason to stop the job
            logger.exception("tag definitions: unexpected error while reloading %s", self.path)
            self._refuse(f"{type(exc).__name__}: {exc}")
            return
        self._catalogue = candidate
        self.last_error = None
        logger.info(
            "tag definitions reloaded from %s: %d tags (%d added, %d removed, %d changed)",
            self.path,
            len(candidate.tags),
            len(diff.added),
            len(diff.removed),
            len(diff.changed),
        )

    def _refuse(self, reason: str) -> None:
        self.last_error = reason
        logger.error(
            "tag definitions not reloaded, keeping the previous %d tags: %s", len(self._catalogue.tags), reason
        )
