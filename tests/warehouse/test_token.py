"""The owner's token file: created private and atomically, refused when it is not private."""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path

import pytest

from warehouse.base import WarehouseError
from warehouse.token import ensure_token, read_token


def test_created_with_mode_0600_whatever_the_umask(tmp_path: Path) -> None:
    path = tmp_path / "home" / "warehouse.token"
    previous = os.umask(0)
    try:
        token = ensure_token(path)
    finally:
        os.umask(previous)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert ensure_token(path) == token == read_token(path)
    assert [p.name for p in path.parent.iterdir()] == ["warehouse.token"]


def test_owners_starting_together_share_one_token(tmp_path: Path) -> None:
    path = tmp_path / "warehouse.token"
    tokens: list[str] = []
    threads = [threading.Thread(target=lambda: tokens.append(ensure_token(path))) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(tokens)) == 1 and len(tokens) == 8
    assert [p.name for p in tmp_path.iterdir()] == ["warehouse.token"]


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660])
def test_a_token_others_can_read_is_refused(tmp_path: Path, mode: int) -> None:
    path = tmp_path / "warehouse.token"
    ensure_token(path)
    path.chmod(mode)
    with pytest.raises(WarehouseError, match="readable by others"):
        read_token(path)
    with pytest.raises(WarehouseError, match="readable by others"):
        ensure_token(path)


def test_missing_or_damaged_tokens_say_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(WarehouseError, match="is `touchstream warehouse` running"):
        read_token(tmp_path / "warehouse.token")
    damaged = tmp_path / "damaged.token"
    damaged.write_bytes(b"\xff\xfe")
    damaged.chmod(0o600)
    with pytest.raises(WarehouseError, match="no usable key"):
        read_token(damaged)
    damaged.write_text("short")
    with pytest.raises(WarehouseError, match="no usable key"):
        read_token(damaged)
