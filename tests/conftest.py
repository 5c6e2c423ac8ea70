"""Shared fixtures. Engine fixtures live in tests/fixtures/, one module per engine."""

from __future__ import annotations

import pytest

from core.config import Settings, load_settings

pytest_plugins = [
    "tests.fixtures.clickhouse",
]


@pytest.fixture
def settings(tmp_path) -> Settings:
    """Settings whose every path lives under a fresh TOUCHSTREAM_HOME."""
    return load_settings(env={}, home=tmp_path / "home")
