"""The back-end key: from the environment, or generated once under home with mode 0600."""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path

import pytest
from pydantic import ValidationError

from core.config import load_settings
from core.credentials import CredentialError, backend_key


def test_generated_once_private_and_stable(tmp_path: Path) -> None:
    settings = load_settings(env={}, home=tmp_path)
    key = backend_key(settings)
    assert len(key) >= 43
    assert stat.S_IMODE(settings.backend_key_file.stat().st_mode) == 0o600
    assert backend_key(settings) == key
    assert backend_key(load_settings(env={}, home=tmp_path)) == key
    assert [p.name for p in tmp_path.iterdir()] == ["backend.key"]  # no temporary left behind


def test_racing_creators_agree_on_one_key(tmp_path: Path) -> None:
    settings = load_settings(env={}, home=tmp_path)
    keys: list[str] = []
    barrier = threading.Barrier(8)

    def create() -> None:
        barrier.wait()
        keys.append(backend_key(settings))

    threads = [threading.Thread(target=create) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(keys)) == 1 and len(keys) == 8


def test_environment_wins_and_never_shows_in_repr(tmp_path: Path) -> None:
    key = "k" * 30
    settings = load_settings(env={"TOUCHSTREAM_BACKEND_KEY": key}, home=tmp_path)
    assert backend_key(settings) == key
    assert not settings.backend_key_file.exists()
    assert key not in repr(settings)
    assert load_settings(env=settings.to_env()).backend_key == key  # children get it


@pytest.mark.parametrize("key", ["short", "has a space in it, which headers mangle", "ü" * 30, "k" * 257])
def test_unusable_keys_fail_at_load(tmp_path: Path, key: str) -> None:
    with pytest.raises(ValidationError, match="24-256 visible ASCII"):
        load_settings(env={"TOUCHSTREAM_BACKEND_KEY": key}, home=tmp_path)


def test_a_readable_or_empty_key_file_is_refused(tmp_path: Path) -> None:
    settings = load_settings(env={}, home=tmp_path)
    path = settings.backend_key_file
    path.write_text("x" * 40)
    os.chmod(path, 0o644)
    with pytest.raises(CredentialError, match="readable by others"):
        backend_key(settings)
    path.write_text("")
    os.chmod(path, 0o600)
    with pytest.raises(CredentialError, match="holds no usable key"):
        backend_key(settings)
