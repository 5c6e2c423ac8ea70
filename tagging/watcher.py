"""Reload tag definitions when their files change, keeping the last good catalogue."""

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

logger = logging.getLogger(__name__)


class TagCatalogueWatcher:
    """``current()`` returns the latest valid catalogue of ``path``.

    Files are stat'ed at most every ``min_interval_s`` (it is called per event); a change in
    any file's mtime or size, or a file added or removed, triggers a reload. A broken edit
    is logged and the previous catalogue stays in force. The first load must succeed.
    """

    def __init__(
        self, path: Path = DEFINITIONS_DIR, contract: Catalogue | None = None, min_interval_s: float = 1.0
    ) -> None:
        self.path = Path(path)
        self.contract = contract
        self.min_interval_s = min_interval_s
        self.last_error: str | None = None
        self._signature = self._stat()
        self._catalogue = load_tag_catalogue(self.path, contract)
        self._checked = time.monotonic()

    def _stat(self) -> tuple[tuple[str, int, int], ...]:
        out = []
        for p in definition_files(self.path):
            try:
                st = p.stat()
            except FileNotFoundError:
                continue
            out.append((p.name, st.st_mtime_ns, st.st_size))
        return tuple(out)

    def current(self) -> TagCatalogue:
        now = time.monotonic()
        if now - self._checked < self.min_interval_s:
            return self._catalogue
        self._checked = now
        signature = self._stat()
        if signature != self._signature:
            self._signature = signature
            try:
                self._catalogue = load_tag_catalogue(self.path, self.contract)
                self.last_error = None
                logger.info("tag definitions reloaded: %d tags (%s)", len(self._catalogue.tags), self.path)
            except (TagDefinitionError, OSError) as exc:
                self.last_error = str(exc)
                logger.error("tag definitions not reloaded, keeping the previous ones: %s", exc)
        return self._catalogue
