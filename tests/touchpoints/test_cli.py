"""`touchstream touchpoints` refuses to start, with a clear message, on bad definitions or a
token file others can read."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from core.config import load_settings
from core.processes import free_port
from touchpoints.definitions import DEFINITIONS_DIR


def start(tmp_path: Path, **overrides: object) -> subprocess.CompletedProcess[str]:
    settings = load_settings(env={}, home=tmp_path / "home", redis_url="unix:///nonexistent.sock", **overrides)
    return subprocess.run(
        [sys.executable, "-m", "touchstream", "touchpoints", "--port", str(free_port())],
        env={**os.environ, **settings.to_env()},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_bad_definition_file_stops_the_start_with_its_name(tmp_path: Path) -> None:
    definitions = tmp_path / "definitions"
    definitions.mkdir()
    (definitions / "knowledge_base.yaml").write_text((DEFINITIONS_DIR / "knowledge_base.yaml").read_text())
    (definitions / "broken.yaml").write_text("campaigns:\n  - {id: x, name: x, tier: precision, slots: [app.nowhere]}")
    result = start(tmp_path, touchpoints_definitions=definitions)
    assert result.returncode == 2, result.stderr
    assert "broken.yaml" in result.stderr and "app.nowhere" in result.stderr


def test_a_token_file_others_can_read_stops_the_start(tmp_path: Path) -> None:
    token = tmp_path / "home" / "touchpoints.admin.token"
    token.parent.mkdir(parents=True)
    token.write_text("x" * 40 + "\n")
    token.chmod(0o644)
    result = start(tmp_path)
    assert result.returncode == 2, result.stderr
    assert "readable by others" in result.stderr
