"""One process owns the embedded warehouse; everyone else goes through it."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys

import orjson
import pytest

from core.config import Settings, load_settings
from core.processes import free_port, wait_until
from tests.warehouse.conftest import publish_job_events, record
from warehouse import WarehouseLocked
from warehouse.base import BadParameters
from warehouse.chdb.backend import ChdbWarehouse
from warehouse.client import run_query
from warehouse.connect import connect
from warehouse.migrations import migrate


def test_queries_go_through_the_owner_and_files_get_loaded(owner: Settings) -> None:
    """The owner loads the stream job's committed ``events`` output (what the job deduplicated)."""
    publish_job_events(owner, "part-0-0", [record(f"e{i}", channel=c) for i, c in enumerate("ab")])
    wait_until(lambda: run_query(owner, "SELECT count() FROM events").scalar() == 2, 30, "loader to load the part file")
    result = run_query(owner, "SELECT channel, count() AS n FROM events GROUP BY channel ORDER BY channel")
    assert result.columns == ["channel", "n"]
    assert result.rows == [("a", 1), ("b", 1)]


def test_a_second_opener_gets_a_clear_message(owner: Settings) -> None:
    path = owner.warehouse_url.removeprefix("chdb://")
    with pytest.raises(WarehouseLocked, match=r"is open in process \d+"):
        ChdbWarehouse(path)
    # a second `touchstream warehouse` process: one clear line, no stack trace
    out = subprocess.run(
        [sys.executable, "-m", "touchstream", "warehouse", "--port", str(free_port())],
        env={**os.environ, **owner.to_env()},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 1
    assert "is open in process" in out.stderr
    assert "Traceback" not in out.stderr


def test_cli_sql_prints_through_the_owner(owner: Settings) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "touchstream", "sql", "SELECT 1 + 1 AS two", "--json"],
        env={**os.environ, **owner.to_env()},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    assert orjson.loads(out.stdout) == [{"two": 2}]


def test_parameters_travel_through_the_owner(owner: Settings) -> None:
    hostile = "'; DROP TABLE events_store; --\\ \n ü"
    result = run_query(
        owner,
        "SELECT {s:String} AS s, {d:Date} AS d, {xs:Array(UInt8)} AS xs",
        {"s": hostile, "d": dt.date(2024, 1, 2), "xs": [1, 2]},
    )
    assert result.rows == [(hostile, dt.date(2024, 1, 2), [1, 2])]
    with pytest.raises(BadParameters, match="has no value"):
        run_query(owner, "SELECT {s:String}")
    assert run_query(owner, "SELECT count() FROM events_store").scalar() == 0


def sql_command(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "touchstream", "sql", *args],
        env={**os.environ, **settings.to_env(), "COLUMNS": "200"},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_cli_sql_prints_markup_as_text(owner: Settings) -> None:
    out = sql_command(owner, "SELECT '[/x]' AS user_id, '[bold]b[/bold]' AS `[/y]`, '[red' AS z")
    assert out.returncode == 0, out.stderr
    for text in ("[/x]", "[bold]b[/bold]", "[/y]", "[red"):
        assert text in out.stdout
    refused = sql_command(owner, "SELECT [/x] FROM [bold]")
    assert refused.returncode == 1
    assert refused.stderr.startswith("error:")
    assert "Traceback" not in refused.stderr


@pytest.mark.parametrize("where", ["owner", "directory", "server"])
def test_cli_sql_is_read_only_everywhere(where: str, tmp_path, request: pytest.FixtureRequest) -> None:
    """With an owner, without one (the CLI opens the directory itself), and on a server."""
    if where == "owner":
        settings = request.getfixturevalue("owner")
    elif where == "directory":
        settings = load_settings(env={}, home=tmp_path / "home")
    else:
        url = f"clickhouse://{request.getfixturevalue('clickhouse_server')}/t_cli"
        settings = load_settings(env={}, home=tmp_path / "home", warehouse_url=url)
        with connect(url) as server:
            migrate(server)
    assert sql_command(settings, "SELECT 1 AS one", "--json").stdout.strip().startswith("[")
    for statement in (
        "-- x\rSELECT 1\nDROP TABLE events_store",
        "SELECT count() FROM file('/etc/passwd', 'TSV', 'x String')",
    ):
        out = sql_command(settings, "--", statement)
        assert out.returncode == 1
        assert "read-only" in out.stderr
        assert "root:" not in out.stdout + out.stderr
    still = sql_command(
        settings,
        "SELECT count() AS n FROM system.tables WHERE database = currentDatabase() AND name = 'events_store'",
        "--json",
    )
    assert orjson.loads(still.stdout) == [{"n": 1}]
