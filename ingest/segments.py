"""Segment files of JSON lines: the event log between the collector and its readers.

A writer appends to a hidden file (``.seg-…``) that readers ignore, fsyncs before any
caller is acknowledged and, when the segment is old or large enough, fsyncs it once more,
renames it into view and fsyncs the directory. Readers therefore only ever see complete
files. Concurrent callers share fsyncs (group commit): whoever syncs covers every write
made before it, so throughput grows with concurrency instead of collapsing on the disk.

Each live writer holds an exclusive ``flock`` on its hidden file. After a crash nobody
holds it, so :func:`recover_orphans` can tell abandoned segments from live ones without
trusting pids; it cuts a torn last line and publishes what was durably written. A writer
creates and locks its file under a name recovery ignores (``.new-…``) before giving it the
hidden segment name, and recovery checks that the name still means the file it locked, so a
worker starting up never takes a sibling's segment that is being opened or rolled.
"""

from __future__ import annotations

import fcntl
import logging
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from core.files import fsync_dir

logger = logging.getLogger(__name__)

SUFFIX = ".jsonl"
DEFAULT_MAX_BYTES = 8 * 1024 * 1024
DEFAULT_MAX_AGE_S = 1.0


class SegmentWriter:
    """Appends batches of lines to rolling segment files; safe for many threads."""

    def __init__(
        self,
        directory: Path,
        *,
        prefix: str = "seg",
        max_bytes: int = DEFAULT_MAX_BYTES,
        max_age_s: float = DEFAULT_MAX_AGE_S,
    ) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.prefix = prefix
        self.max_bytes = max_bytes
        self.max_age_s = max_age_s
        self._write_lock = threading.Lock()  # file offset, size, sequence numbers
        self._sync_lock = threading.Lock()  # fsync and roll; always taken before _write_lock
        self._fd: int | None = None
        self._name = ""
        self._size = 0
        self._opened_at = 0.0
        self._written_seq = 0
        self._synced_seq = 0
        self._file_seq = 0
        self._closed = threading.Event()
        recover_orphans(self.directory, prefix)
        self._timer = threading.Thread(target=self._roll_when_old, name=f"{prefix}-roller", daemon=True)
        self._timer.start()

    def append(self, data: bytes) -> None:
        """Write ``data`` (whole lines) and return once it is on disk."""
        if not data:
            return
        with self._write_lock:
            if self._closed.is_set():
                raise OSError("segment writer is closed")
            if self._fd is None:
                self._open()
            assert self._fd is not None
            start = self._size
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(self._fd, view) :]
            except OSError:
                os.ftruncate(self._fd, start)  # never leave a torn line in front of later writes
                raise
            self._size += len(data)
            self._written_seq += 1
            seq = self._written_seq
            full = self._size >= self.max_bytes
        self._sync_through(seq)
        if full:
            self.roll()

    def _sync_through(self, seq: int) -> None:
        with self._sync_lock:
            if self._synced_seq >= seq:
                return  # another caller's fsync already covered this write
            with self._write_lock:
                target, fd = self._written_seq, self._fd
            if fd is not None:
                os.fsync(fd)
            self._synced_seq = max(self._synced_seq, target)

    def roll(self) -> None:
        """Publish the current segment (if any) under its visible name."""
        with self._sync_lock, self._write_lock:
            self._roll_locked()

    def _roll_locked(self) -> None:
        if self._fd is None:
            return
        os.fsync(self._fd)
        hidden = self.directory / ("." + self._name)
        os.rename(hidden, self.directory / self._name)
        os.close(self._fd)  # releases the flock
        fsync_dir(self.directory)
        self._synced_seq = self._written_seq
        self._fd = None

    def _open(self) -> None:
        self._file_seq += 1
        now_ms = int(time.time() * 1000)
        self._name = f"{self.prefix}-{now_ms:013d}-{os.getpid()}-{self._file_seq:06d}{SUFFIX}"
        fresh = self.directory / (".new-" + self._name)
        fd = os.open(fresh, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND, 0o644)
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        os.rename(fresh, self.directory / ("." + self._name))  # visible to recovery only once locked
        self._fd, self._size, self._opened_at = fd, 0, time.monotonic()

    def _roll_when_old(self) -> None:
        period = max(0.01, min(0.1, self.max_age_s / 5))
        while not self._closed.wait(period):
            if self._fd is not None and time.monotonic() - self._opened_at >= self.max_age_s:
                try:
                    self.roll()
                except OSError:
                    logger.exception("rolling segment %s failed", self._name)

    def close(self) -> None:
        self._closed.set()
        self.roll()


def recover_orphans(directory: Path, prefix: str = "seg") -> list[Path]:
    """Publish hidden segments no live writer holds, cut back to their last full line."""
    recovered = []
    for fresh in Path(directory).glob(f".new-{prefix}-*{SUFFIX}"):
        _remove_abandoned(fresh)  # a writer died between creating and naming it: always empty
    for hidden in sorted(Path(directory).glob(f".{prefix}-*{SUFFIX}")):
        try:
            fd = os.open(hidden, os.O_RDWR)
        except FileNotFoundError:
            continue  # its writer rolled it meanwhile
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue  # a live writer owns it
            if not _names(hidden, fd):
                continue  # its writer rolled it between our glob and our lock
            size = os.fstat(fd).st_size
            keep = _complete_prefix_length(fd, size)
            if keep < size:
                logger.warning("segment %s: dropping %d bytes of a torn last line", hidden.name, size - keep)
                os.ftruncate(fd, keep)
            os.fsync(fd)
            target = hidden.with_name(hidden.name[1:])
            if keep == 0:
                hidden.unlink()
            else:
                os.rename(hidden, target)
                recovered.append(target)
        finally:
            os.close(fd)
    if recovered:
        fsync_dir(Path(directory))
        logger.info("recovered %d abandoned segments in %s", len(recovered), directory)
    return recovered


def _remove_abandoned(path: Path, min_age_s: float = 60.0) -> None:
    """Delete a ``.new-`` file unless it may be one a live writer is about to lock and name."""
    try:
        if time.time() - path.stat().st_mtime > min_age_s:
            path.unlink()
    except FileNotFoundError:
        pass


def _names(path: Path, fd: int) -> bool:
    """Whether ``path`` still names the file open as ``fd``."""
    try:
        return os.stat(path).st_ino == os.fstat(fd).st_ino
    except FileNotFoundError:
        return False


def _complete_prefix_length(fd: int, size: int) -> int:
    """Bytes up to and including the last newline."""
    block = 64 * 1024
    end = size
    while end > 0:
        start = max(0, end - block)
        chunk = os.pread(fd, end - start, start)
        cut = chunk.rfind(b"\n")
        if cut >= 0:
            return start + cut + 1
        end = start
    return 0


def completed_segments(directory: Path, prefix: str = "seg") -> list[Path]:
    """Published segments in name (= time of first write) order."""
    directory = Path(directory)
    if not directory.is_dir():
        return []
    return sorted(p for p in directory.glob(f"{prefix}-*{SUFFIX}") if p.is_file())


def read_segments(directory: Path, prefix: str = "seg") -> Iterator[dict[str, Any]]:
    """Every record of every published segment, in order."""
    for path in completed_segments(directory, prefix):
        with path.open("rb") as handle:
            for line in handle:
                yield orjson.loads(line)
