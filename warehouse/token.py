"""The owner endpoint's bearer token: one secret file, readable by its owner alone.

The owner creates it on first start and keeps it across restarts, so a running UI keeps
working; the CLI and the UI read it (warehouse/client.py). It is written under a temporary
name opened with mode 0600 and linked into place, so it never exists with a wider mode or
half written, and two owners starting at once end up with the same token.
"""

from __future__ import annotations

from pathlib import Path

from core.credentials import CredentialError, read_secret, secret
from warehouse.base import WarehouseError


def ensure_token(path: Path) -> str:
    """The token in ``path``, created first if missing (core.credentials: 0600, linked into place)."""
    try:
        return secret(None, path)
    except (CredentialError, OSError) as exc:
        raise WarehouseError(f"the warehouse token: {exc}; restart the owner") from None


def read_token(path: Path) -> str:
    """The token, refusing a file that others could read or that someone else owns."""
    try:
        return read_secret(path)
    except FileNotFoundError:
        raise WarehouseError(f"no warehouse token at {path}: is `touchstream warehouse` running?") from None
    except (CredentialError, OSError, UnicodeDecodeError) as exc:
        raise WarehouseError(f"the warehouse token {path}: {exc}; delete it and restart the owner") from None
