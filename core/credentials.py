"""Credentials kept as files: the back end's bearer key (business and service events must
carry it), the warehouse owner's token, the touchpoint admin token and the operator UI's password.

``TOUCHSTREAM_BACKEND_KEY`` wins when set. Otherwise whoever needs the key first (the
collector, ``touchstream send``, the demo, the touchpoint service) generates it under
``$TOUCHSTREAM_HOME/backend.key``: written to a private temporary file (mode 0600) and
hard-linked into place, so a reader never sees a half-written key and two processes racing
to create it end up agreeing on the first one linked.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import stat
from pathlib import Path

from core.config import BACKEND_KEY_PATTERN, Settings

logger = logging.getLogger(__name__)

KEY_BYTES = 32  # secrets.token_urlsafe(32): 43 characters, 256 bits


class CredentialError(RuntimeError):
    """The key file exists but cannot be used; the message says how to fix it."""


def backend_key(settings: Settings) -> str:
    """The back end's bearer key: from the settings, else read or created at ``settings.backend_key_file``."""
    return secret(settings.backend_key, settings.backend_key_file)


def ui_password(settings: Settings) -> str:
    """The operator UI's password: ``TOUCHSTREAM_UI_PASSWORD``, else generated at ``settings.ui_password_file``."""
    return secret(settings.ui_password, settings.ui_password_file)


def secret(configured: str | None, path: Path) -> str:
    """``configured`` when set, else the secret stored at ``path`` (created there, 0600, on first
    use): the back-end key, the touchpoint admin token, the UI password."""
    if configured:
        return configured
    if not path.exists():
        _create(path)
    return _read(path)


def _create(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, (secrets.token_urlsafe(KEY_BYTES) + "\n").encode("ascii"))
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        os.link(temporary, path)  # fails if another process got there first: then theirs is the key
        logger.info("generated a secret at %s (mode 0600)", path)
    except FileExistsError:
        pass
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)


def read_secret(path: Path) -> str:
    """The secret stored at ``path``, refusing a file that others could read or that someone else owns."""
    return _read(path)


def _read(path: Path) -> str:
    info = path.stat()
    mode = info.st_mode
    if info.st_uid != os.getuid():
        raise CredentialError(f"{path} belongs to uid {info.st_uid}, not to you; delete it to regenerate")
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise CredentialError(f"{path} is readable by others (mode {mode & 0o777:o}); chmod 600 it")
    key = path.read_text(encoding="ascii", errors="replace").strip()
    if not BACKEND_KEY_PATTERN.fullmatch(key):
        raise CredentialError(f"{path} holds no usable key (24-256 visible ASCII characters); delete it to regenerate")
    return key
