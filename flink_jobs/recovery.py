"""Where a restarted job resumes from: the newest retained checkpoint or savepoint under home.

Checkpoints are retained on cancellation (``RETAIN_ON_CANCELLATION``) under
``flink/checkpoints/<job id>/chk-<n>/_metadata``; savepoints taken on stop are under
``flink/savepoints/savepoint-*/_metadata``. A directory counts only once its ``_metadata``
exists (Flink writes it last), so a checkpoint cut short by a kill is never chosen.
"""

from __future__ import annotations

import logging
from pathlib import Path

from flink_jobs.options import JobPaths

logger = logging.getLogger(__name__)


def completed_snapshots(paths: JobPaths) -> list[Path]:
    """Completed checkpoint and savepoint directories, oldest first (by ``_metadata`` mtime)."""
    found: list[tuple[int, str, Path]] = []
    for pattern, root in (("*/chk-*/_metadata", paths.checkpoints), ("savepoint-*/_metadata", paths.savepoints)):
        if root.is_dir():
            for meta in root.glob(pattern):
                try:
                    found.append((meta.stat().st_mtime_ns, str(meta.parent), meta.parent))
                except FileNotFoundError:
                    continue  # Flink subsumed it while we looked
    return [p for _, _, p in sorted(found)]


def latest_snapshot(paths: JobPaths) -> Path | None:
    snapshots = completed_snapshots(paths)
    return snapshots[-1] if snapshots else None
