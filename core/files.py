"""Publishing files that readers may open at any moment: write hidden, fsync, rename into view.

A reader that polls a directory (the event log's readers, the tag definitions watcher)
must never see half a file. A name starting with ``.`` is ignored by those readers, and
``rename`` within a directory is atomic, so a file appears complete or not at all; the
fsyncs make it survive a crash once published.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path


def fsync_dir(directory: Path) -> None:
    """Make the directory's entries (a rename, an unlink) durable."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def hidden_name(name: str) -> str:
    """The name a file is written under before it is published (unique per process)."""
    return f".{name}.{os.getpid()}.tmp"


def publish_file(path: Path, data: bytes, *, sync_dir: bool = True) -> Path:
    """Write ``data`` to ``path`` atomically: readers see the old file or the whole new one.

    ``sync_dir=False`` lets a caller publishing several files fsync the directory once.
    """
    path = Path(path)
    hidden = path.with_name(hidden_name(path.name))
    try:
        with hidden.open("wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.rename(hidden, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            hidden.unlink()
        raise
    if sync_dir:
        fsync_dir(path.parent)
    return path
