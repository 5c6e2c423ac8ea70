"""Secrets kept as files under ``TOUCHSTREAM_HOME`` when none is configured (admin tokens).

A generated token is written to a temporary file with mode 0600 and hard-linked into
place, so two processes starting at once agree on one token and nobody ever reads a
half-written file.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import stat
from pathlib import Path

logger = logging.getLogger(__name__)


def ensure_token(configured: str | None, path: Path) -> str:
    """The configured token, or the one stored at ``path`` (generated there on first use)."""
    if configured:
        return configured
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(fd, (secrets.token_urlsafe(32) + "\n").encode())
            os.fsync(fd)
        finally:
            os.close(fd)
        with contextlib.suppress(FileExistsError):  # another process won the race: use its token
            os.link(tmp, path)
            logger.info("generated a token in %s (mode 0600)", path)
        tmp.unlink()
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        logger.warning("%s is readable by others (mode %o); restricting it to 0600", path, mode)
        path.chmod(0o600)
    token = path.read_text(encoding="utf-8").strip()
    if not token:
        raise ValueError(f"{path} is empty; delete it to generate a new token")
    return token
