"""Configuration: env, then CLI flags; every path under TOUCHSTREAM_HOME."""

from __future__ import annotations

from pathlib import Path

from core.config import load_settings


def test_defaults_derive_from_home(tmp_path: Path) -> None:
    s = load_settings(env={"TOUCHSTREAM_HOME": str(tmp_path)})
    assert s.home == tmp_path
    assert s.warehouse_url == f"chdb://{tmp_path / 'warehouse'}"
    assert s.event_log == tmp_path / "events"
    assert s.redis_url is None


def test_two_homes_share_nothing(tmp_path: Path) -> None:
    a = load_settings(env={"TOUCHSTREAM_HOME": str(tmp_path / "a")})
    b = load_settings(env={"TOUCHSTREAM_HOME": str(tmp_path / "b")})
    for field in ("warehouse_url", "event_log", "quarantine_log", "warehouse_owner_file", "redis_socket"):
        assert getattr(a, field) != getattr(b, field)


def test_flags_override_env(tmp_path: Path) -> None:
    env = {"TOUCHSTREAM_HOME": str(tmp_path), "TOUCHSTREAM_COLLECTOR_PORT": "9000"}
    assert load_settings(env=env).collector_port == 9000
    assert load_settings(env=env, collector_port=9100).collector_port == 9100
    assert load_settings(env=env, collector_port=None).collector_port == 9000


def test_child_environment_round_trips(tmp_path: Path) -> None:
    s = load_settings(env={"TOUCHSTREAM_HOME": str(tmp_path), "TOUCHSTREAM_REDIS_URL": "redis://127.0.0.1:1/0"})
    assert load_settings(env=s.to_env()) == s
