"""Generated credentials: the back end's bearer key and the operator UI's password.

Each comes from its setting when set (``TOUCHSTREAM_BACKEND_KEY``, ``TOUCHSTREAM_UI_PASSWORD``).
Otherwise whoever needs it first generates it under ``$TOUCHSTREAM_HOME`` (``backend.key``:
the collector, ``touchstream send``, the demo, the touchpoint service; ``ui.password``:
``touchstream ui``): written to a private temporary file (mode 0600) and hard-linked into
place, so a reader never sees a half-written secret and two processes racing to create it
end up agreeing on the first one linked.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import secrets
import stat
from pathlib import Path

from core.config import BACKEND_KEY_PATTERN, UI_PASSWORD_PATTERN, Settings

logger = logging.getLogger(__name__)

KEY_BYTES = 32  # secrets.token_urlsafe(32): 43 characters, 256 bits


class CredentialError(RuntimeError):
    """The key file exists but cannot be used; the message says how to fix it."""


def backend_key(settings: Settings) -> str:
    """The back end's bearer key: from the settings, else read or created at ``settings.backend_key_file``."""
    if settings.backend_key:
        return settings.backend_key
    return ensure_secret_file(settings.backend_key_file, BACKEND_KEY_PATTERN, "key")


def ui_password(settings: Settings) -> str:
    """The operator's UI password: from the settings, else read or created at ``settings.ui_password_file``."""
    if settings.ui_password:
        return settings.ui_password
    return ensure_secret_file(settings.ui_password_file, UI_PASSWORD_PATTERN, "password")


def ensure_secret_file(path: Path, pattern: re.Pattern[str], what: str) -> str:
    """The secret in ``path`` (created first if missing), refusing a file others can read or a bad value."""
    if not path.exists():
        _create(path)
    return _read(path, pattern, what)


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
        logger.info("generated a secret at %s", path)
    except FileExistsError:
        pass
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)


def _read(path: Path, pattern: re.Pattern[str], what: str) -> str:
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise CredentialError(f"{path} is readable by others (mode {mode & 0o777:o}); chmod 600 it")
    secret = path.read_text(encoding="utf-8", errors="replace").strip()
    if not pattern.fullmatch(secret):
        raise CredentialError(f"{path} holds no usable {what}; delete it to regenerate")
    return secret
