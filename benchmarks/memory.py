"""Peak resident memory of a process tree, sampled through psutil (portable, unlike /proc).

The stream job is a tree: the launching Python process, the JVM with the MiniCluster and
the embedded Python workers it spawns; its footprint is their sum, sampled every half second.
"""

from __future__ import annotations

import contextlib
import threading

import psutil


def tree_rss_mb(root: psutil.Process) -> float:
    """Resident memory of ``root`` and all its descendants now (processes that exit meanwhile count 0)."""
    total = 0
    with contextlib.suppress(psutil.Error):
        for proc in [root, *root.children(recursive=True)]:
            with contextlib.suppress(psutil.Error):
                total += proc.memory_info().rss
    return total / 2**20


class PeakRss:
    """Samples the memory of the tree rooted at ``pid`` (default: this process) while the block runs."""

    def __init__(self, pid: int | None = None, interval_s: float = 0.5) -> None:
        self.peak_mb = 0.0
        self._root = psutil.Process(pid)
        self._interval_s = interval_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(self._interval_s):
            self.peak_mb = max(self.peak_mb, tree_rss_mb(self._root))

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()
