"""One process owns the embedded warehouse; everyone else goes through it."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
import requests

from core.config import Settings, load_settings
from core.processes import free_port, stop_process_group, wait_until
from tests.warehouse.conftest import record
from warehouse import WarehouseError, WarehouseLocked
from warehouse.base import BadParameters
from warehouse.chdb.backend import ChdbWarehouse
from warehouse.client import live_owner, run_query
from warehouse.readonly import NotReadOnly, check_read_only


@pytest.fixture
def owner(tmp_path: Path) -> Iterator[Settings]:
    settings = load_settings(env={}, home=tmp_path / "home", warehouse_port=free_port())
    process = subprocess.Popen(
        [sys.executable, "-m", "touchstream", "warehouse"],
        env={**os.environ, **settings.to_env()},
        start_new_session=True,
    )
    try:
        wait_until(lambda: live_owner(settings) is not None or process.poll() is not None, 60, "warehouse owner")
        assert process.poll() is None, "owner exited"
        yield settings
    finally:
        stop_process_group(process.pid)
    assert not settings.warehouse_owner_file.exists(), "owner file left behind"


def test_queries_go_through_the_owner_and_files_get_loaded(owner: Settings) -> None:
    owner.event_log.mkdir(parents=True, exist_ok=True)
    segment = owner.event_log / "seg-0000000000001-1-000001.jsonl"
    segment.write_bytes(b"".join(orjson.dumps(record(f"e{i}", channel=c)) + b"\n" for i, c in enumerate("ab")))
    wait_until(lambda: run_query(owner, "SELECT count() FROM events").scalar() == 2, 30, "loader to load the segment")
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


def test_owner_endpoint_is_read_only(owner: Settings) -> None:
    info = live_owner(owner)
    assert info is not None
    url = f"http://{info['host']}:{info['port']}/query"
    for statement in (
        "DROP TABLE events_raw",
        "INSERT INTO loaded_files VALUES ('x','y',1,0,now())",
        "SELECT 1; DROP TABLE events_raw",
    ):
        response = requests.post(url, data=statement, timeout=10)
        assert response.status_code == 403, statement
        assert "error" in response.json()
    assert run_query(owner, "SELECT count() FROM events_raw").scalar() == 0
    with pytest.raises(WarehouseError, match=r"(?i)unknown|doesn't exist|does not exist"):
        run_query(owner, "SELECT * FROM no_such_table")


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


@pytest.mark.parametrize(
    "sql", ["SELECT 1", "  with x as (select 1) select * from x;", "SHOW TABLES", "-- note\nDESCRIBE events"]
)
def test_read_statements_pass(sql: str) -> None:
    assert check_read_only(sql)


@pytest.mark.parametrize("sql", ["", "ALTER TABLE events_raw DELETE WHERE 1", "OPTIMIZE TABLE x", "SELECT 1; SELECT 2"])
def test_other_statements_are_refused(sql: str) -> None:
    with pytest.raises(NotReadOnly):
        check_read_only(sql)


def test_parameters_travel_through_the_owner(owner: Settings) -> None:
    hostile = "'; DROP TABLE events_raw; --\\ \n ü"
    result = run_query(
        owner,
        "SELECT {s:String} AS s, {d:Date} AS d, {xs:Array(UInt8)} AS xs",
        {"s": hostile, "d": dt.date(2024, 1, 2), "xs": [1, 2]},
    )
    assert result.rows == [(hostile, dt.date(2024, 1, 2), [1, 2])]
    with pytest.raises(BadParameters, match="has no value"):
        run_query(owner, "SELECT {s:String}")
    info = live_owner(owner)
    assert info is not None
    url = f"http://{info['host']}:{info['port']}/query"
    for body in (
        b"{not json",
        b'["SELECT 1"]',
        b'{"sql": 1}',
        b'{"sql": "SELECT 1", "params": [1]}',
        b'{"sql": "SELECT 1", "x": 1}',
    ):
        response = requests.post(url, data=body, headers={"Content-Type": "application/json"}, timeout=10)
        assert (response.status_code, response.json()["reason"]) == (400, "bad_request"), body
    assert run_query(owner, "SELECT count() FROM events_raw").scalar() == 0
