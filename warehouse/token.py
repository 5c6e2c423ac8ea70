"""The owner endpoint's bearer token: one secret file, readable by its owner alone.

The owner creates it on first start and keeps it across restarts, so a running UI keeps
working; the CLI and the UI read it (warehouse/client.py). It is written under a temporary
name opened with mode 0600 and linked into place, so it never exists with a wider mode or
half written, and two owners starting at once end up with the same token.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from pathlib import Path

from warehouse.base import WarehouseError


def ensure_token(path: Path) -> str:
    """The token in ``path``, created first if missing."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_urlsafe(32))
                handle.flush()
                os.fsync(handle.fileno())
            with contextlib.suppress(FileExistsError):  # another owner won the race: use theirs
                os.link(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)
    return read_token(path)


def read_token(path: Path) -> str:
    """The token, refusing a file that others could read or that someone else owns."""
    try:
        info = path.stat()
        if info.st_uid != os.getuid() or info.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise WarehouseError(
                f"the warehouse token {path} must belong to you with mode 0600 "
                f"(it has uid {info.st_uid}, mode {stat.S_IMODE(info.st_mode):04o}); delete it and restart the owner"
            )
        token = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        raise WarehouseError(f"no warehouse token at {path}: is `touchstream warehouse` running?") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise WarehouseError(f"cannot read the warehouse token {path}: {exc}") from None
    if len(token) < 32:
        raise WarehouseError(f"the warehouse token {path} is damaged; delete it and restart the owner")
    return token
