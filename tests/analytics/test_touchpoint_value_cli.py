"""`touchstream report touchpoints` in a real process, on both engines: it agrees with the functions."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from analytics.touchpoint_value import lift, touchpoint_results
from core.config import load_settings
from tests.analytics.touchpoint_events import HOUR_MS, D
from tests.analytics.touchpoint_world import SEPTEMBER_1_TO_7, mapped, world
from touchstream.cli import app
from warehouse import connect
from warehouse.migrations import migrate
from warehouse.sources import insert_events

RANGE = ["--from", "2026-09-01", "--to", "2026-09-07"]


@pytest.fixture
def cli(warehouse_url: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    """Load the hand-worked world (and a campaign named like rich markup), close it, run the CLI on it."""
    params_file = tmp_path / "value.yaml"
    params_file.write_text(orjson.dumps(mapped().model_dump(exclude_none=True)).decode())  # JSON is YAML
    ev = world()
    ev.exposure("u99", "app.banner", "[bold]x[/x]", "d99", D + HOUR_MS)
    with connect(warehouse_url) as wh:
        migrate(wh)
        insert_events(wh, ev.records)
    settings = load_settings(env={}, home=tmp_path / "home", warehouse_url=warehouse_url)
    env = {**os.environ, **settings.to_env()}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "touchstream", "report", "touchpoints", "--params", str(params_file), *args]
        return subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)

    run.settings = settings  # type: ignore[attr-defined]
    return run


@pytest.mark.integration
def test_results_json_equals_the_function(cli) -> None:  # type: ignore[no-untyped-def]
    out = cli("results", *RANGE, "--grain", "week", "--by", "channel", "--by", "slot_kind", "--json")
    assert out.returncode == 0, out.stderr
    got = orjson.loads(out.stdout)
    expected = touchpoint_results(cli.settings, SEPTEMBER_1_TO_7, "week", ("channel", "slot_kind"), mapped())
    assert got["rows"] == orjson.loads(orjson.dumps(expected.records()))
    assert (got["view"], got["from"], got["to"], got["grain"]) == ("results", "2026-09-01", "2026-09-07", "week")
    assert got["dims"] == ["channel", "slot_kind"]


@pytest.mark.integration
def test_lift_and_rank_views(cli) -> None:  # type: ignore[no-untyped-def]
    out = cli("lift", *RANGE, "--json")
    assert out.returncode == 0, out.stderr
    assert orjson.loads(out.stdout)["rows"] == [
        r.record() for r in lift(cli.settings, SEPTEMBER_1_TO_7, params=mapped())
    ]
    ranked = cli("rank", *RANGE, "--product", "broadband", "--json")
    assert ranked.returncode == 0, ranked.stderr
    rows = orjson.loads(ranked.stdout)["rows"]
    assert [r["slot"] for r in rows[:2]] == ["app.floating_icon", "app.login_popup"]


@pytest.mark.integration
def test_the_table_prints_markup_as_text(cli) -> None:  # type: ignore[no-untyped-def]
    out = cli(*RANGE, "--grain", "total", "--by", "campaign")
    assert out.returncode == 0, out.stderr
    assert "[bold]x[/x]" in out.stdout
    assert "value_yuan" in out.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--grain", "hour"], "unknown grain"),
        (["--by", "user_id"], "unknown dimension"),
        (["--from", "2026-13-01"], "month must be in 1..12"),
        (["--from", "2026-09-08", "--to", "2026-09-01"], "before it starts"),
        (["rank"], "needs a product"),
        (["rank", "--product", "handset"], "no campaign sells 'handset'"),
        (["bogus"], "unknown view"),
        (["lift", "--campaign", ""], "1 to 512 characters"),
        (["--params", "/nonexistent/value.yaml"], "No such file"),
    ],
)
def test_bad_input_exits_2_with_the_reason_before_any_query(tmp_path: Path, args: list[str], message: str) -> None:
    # the warehouse directory is never created: every one of these is refused before SQL
    home = tmp_path / "home"
    out = CliRunner().invoke(app, ["--home", str(home), "report", "touchpoints", *args])
    assert out.exit_code == 2, out.output
    assert message in out.stderr
    assert out.exception is None or isinstance(out.exception, SystemExit)
    assert not (home / "warehouse").exists()


def test_a_broken_params_file_exits_2(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("publicity: {unit_audience_value_yuan: -1}\n", encoding="utf-8")
    out = CliRunner().invoke(app, ["--home", str(tmp_path), "report", "touchpoints", "--params", str(broken)])
    assert out.exit_code == 2
    assert "unit_audience_value_yuan" in out.stderr
