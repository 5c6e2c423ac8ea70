"""People's statements: engine read-only, limited, on readers of their own, on both engines.

Every reproduction of the hardening issue runs on chDB and on ClickHouse 18.16; after each
the caller holds a clear error and every table still has its rows.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import requests

from core.config import ReadOnlyLimits, load_settings
from core.processes import free_port, wait_until
from tests.fixtures.clickhouse import READER
from tests.warehouse.conftest import record
from warehouse import QueryResult, Warehouse, connect
from warehouse.base import LimitExceeded, NotReadOnly, SqlSyntaxError, WarehouseBusy, WarehouseError
from warehouse.client import live_owner, run_query
from warehouse.migrations import migrate
from warehouse.owner import serve
from warehouse.readers import ReaderPool
from warehouse.readonly import check_statement
from warehouse.sources import event_row
from warehouse.token import read_token

LIMITS = ReadOnlyLimits(
    max_execution_s=2,
    max_result_rows=1_000,
    max_result_bytes=1_000_000,
    max_memory_bytes=150_000_000,
    max_rows_to_read=50_000_000,
    max_concurrent=2,
)
SLEEPY = "NOT ignore(sleepEachRow(0.00001))"  # ~0.65 s per block of 65536 rows
SLOW = f"SELECT count() FROM system.numbers WHERE {SLEEPY}"  # runs until a limit stops it


@pytest.fixture
def filled(wh: Warehouse) -> Warehouse:
    wh.insert("events_store", [event_row(record(f"e{i}", user=f"u{i}")) for i in range(3)])
    return wh


def snapshot(wh: Warehouse) -> dict[str, int]:
    """Every table and view with its row count: what "intact" means."""
    tables = [row[0] for row in wh.query("SHOW TABLES").rows]
    return {table: int(wh.query(f"SELECT count() FROM {table}").scalar()) for table in tables}


REPRODUCTIONS = [
    *(f"-- x{brk}SELECT 1\nDROP TABLE events_store" for brk in ("\r", "\u2028", "\x0b", "\x85")),
    "SELECT count() FROM file('/etc/passwd','LineAsString')",
    "SELECT file('/etc/passwd')",
    "SELECT count() FROM numbers(1e13)",
    "SELECT count() FROM system.numbers",
    "SELECT * FROM url('http://127.0.0.1:9/x', 'TSV', 'x String')",
    "SELECT * FROM remote('127.0.0.1:9', system.one)",
    "SELECT * FROM executable('cat /etc/passwd', 'TSV', 'x String')",
    "SELECT * FROM mysql('127.0.0.1:9', 'd', 't', 'u', 'p')",
    "DROP TABLE events_store",
    "drop table events_store",
    "/* comment */ DROP TABLE events_store",
    "(DROP TABLE events_store)",
    "INSERT INTO events_store (event_id) VALUES ('x')",
    "INSERT INTO events_store FROM INFILE '/etc/passwd' FORMAT LineAsString",
    "CREATE TABLE evil (x UInt8) ENGINE = Memory",
    "CREATE TEMPORARY TABLE evil (x UInt8)",
    "ALTER TABLE events_store DELETE WHERE 1",
    "TRUNCATE TABLE events_store",
    "RENAME TABLE events_store TO gone",
    "OPTIMIZE TABLE events_store FINAL",
    "SYSTEM STOP MERGES",
    "KILL QUERY WHERE 1",
    "USE system",
    "SET readonly = 0",
    "SELECT 1 SETTINGS readonly = 0",
    "SELECT 1 SETTINGS max_result_rows = 0",
    "SELECT 1; DROP TABLE events_store",
    "SELECT 1;\nDROP TABLE events_store;",
    "SELECT 1 FORMAT CSV",
    "",
    "   ;  ",
]


@pytest.mark.parametrize("sql", REPRODUCTIONS, ids=[repr(s)[:40] for s in REPRODUCTIONS])
def test_reproductions_get_a_clear_error_and_tables_stay_intact(filled: Warehouse, sql: str) -> None:
    before = snapshot(filled)
    with pytest.raises((NotReadOnly, LimitExceeded, SqlSyntaxError)) as caught:
        filled.query_untrusted(sql, None, LIMITS)
    assert str(caught.value)
    assert "root:" not in str(caught.value)
    assert snapshot(filled) == before


def test_into_outfile_writes_nothing(filled: Warehouse, tmp_path: Path) -> None:
    target = tmp_path / "stolen.csv"
    for sql in (f"SELECT * FROM events_store INTO OUTFILE '{target}'", f"SHOW TABLES INTO OUTFILE '{target}' TRUNCATE"):
        with pytest.raises(NotReadOnly, match="INTO OUTFILE"):
            filled.query_untrusted(sql, None, LIMITS)
    assert not target.exists()


@pytest.mark.parametrize(
    "sql",
    [
        "DROP TABLE events_store",
        "INSERT INTO events_store (event_id) SELECT 'x'",
        "CREATE TABLE evil (x UInt8) ENGINE = Memory",
        "ALTER TABLE events_store DELETE WHERE 1",
        "TRUNCATE TABLE events_store",
        "OPTIMIZE TABLE events_store FINAL",
        "SELECT count() FROM file('/etc/passwd', 'TSV', 'x String')",
        "SELECT * FROM url('http://127.0.0.1:9/x', 'TSV', 'x String')",
        "SELECT * FROM remote('127.0.0.1:9', system.one)",
        "SET readonly = 0",
        "SET max_result_rows = 0",
        "SELECT 1 SETTINGS max_rows_to_read = 0",
    ],
)
def test_the_engine_refuses_even_without_the_statement_check(
    filled: Warehouse, sql: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The parser-level check only words the message: switched off, the engine still refuses."""
    monkeypatch.setattr(f"{type(filled).__module__}.check_statement", lambda statement: statement)
    before = snapshot(filled)
    with pytest.raises(NotReadOnly, match=r"(?i)readonly"):
        filled.query_untrusted(sql, None, LIMITS)
    assert snapshot(filled) == before


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        ("SELECT number FROM system.numbers LIMIT 5000", "(?i)limit for result"),
        ("SELECT count() FROM system.numbers", "(?i)limit for rows"),
        ("SELECT length(groupArray(number)) FROM (SELECT number FROM system.numbers LIMIT 40000000)", "(?i)memory"),
        ("SELECT range(toUInt32(20000 + number)) AS r FROM system.numbers LIMIT 100", "(?i)limit for result"),
        (SLOW, "(?i)timeout"),
    ],
    ids=["result rows", "rows read", "memory", "result bytes", "time"],
)
def test_limits_stop_a_statement(filled: Warehouse, sql: str, message: str) -> None:
    started = time.monotonic()
    with pytest.raises(LimitExceeded, match=message):
        filled.query_untrusted(sql, None, LIMITS)
    assert time.monotonic() - started < LIMITS.max_execution_s + 3


def test_a_reader_answers_correctly_after_a_failure(filled: Warehouse) -> None:
    one_reader = LIMITS.model_copy(update={"max_concurrent": 1})
    for sql in ("SELECT number FROM system.numbers LIMIT 5000", "SELECT nope", "DROP TABLE events_store"):
        with pytest.raises(WarehouseError):
            filled.query_untrusted(sql, None, one_reader)
        assert filled.query_untrusted("SELECT 7 AS seven", None, one_reader).rows == [(7,)]


def test_reads_people_need_still_work(filled: Warehouse) -> None:
    assert filled.query_untrusted("SELECT count() FROM events", None, LIMITS).scalar() == 3
    assert filled.query_untrusted("  with 1 as n select n;  -- done", None, LIMITS).rows == [(1,)]
    assert ("events",) in filled.query_untrusted("SHOW TABLES", None, LIMITS).rows
    assert filled.query_untrusted("DESCRIBE TABLE events", None, LIMITS).rows
    assert filled.query_untrusted("SELECT count() > 0 FROM system.tables", None, LIMITS).scalar() == 1
    assert filled.query_untrusted("SELECT 'a; DROP TABLE x' AS s", None, LIMITS).rows == [("a; DROP TABLE x",)]
    assert filled.query_untrusted("SELECT file FROM loaded_files", None, LIMITS).rows == []
    hostile = "'; DROP TABLE events_store; --\\"
    rows = filled.query_untrusted("SELECT {u:String} AS u, {n:UInt8} AS n", {"u": hostile, "n": 7}, LIMITS).rows
    assert rows == [(hostile, 7)]


def test_a_runaway_query_holds_up_neither_the_loader_nor_other_people(filled: Warehouse) -> None:
    outcome: dict[str, object] = {}

    def runaway() -> None:
        try:
            filled.query_untrusted(SLOW, None, LIMITS)
        except LimitExceeded as exc:
            outcome["error"] = exc

    thread = threading.Thread(target=runaway)
    thread.start()
    try:
        time.sleep(0.5)  # the runaway is running now
        started = time.monotonic()
        filled.insert("events_store", [event_row(record("late", user="u9"))])  # what the loader does
        assert filled.query("SELECT count() FROM events_store").scalar() == 4
        assert filled.query_untrusted("SELECT count() FROM events", None, LIMITS).scalar() == 4
        assert time.monotonic() - started < 1.0
        assert thread.is_alive(), "the runaway should still be running"
    finally:
        thread.join(LIMITS.max_execution_s + 5)
    assert isinstance(outcome.get("error"), LimitExceeded)


def test_a_person_cannot_kill_the_loaders_queries_on_the_server(
    wh: Warehouse, warehouse_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """18.16's readonly=1 still runs KILL QUERY for the same user: a reader account closes it."""
    if not warehouse_url.startswith("clickhouse:"):
        pytest.skip("chDB has one user; KILL is refused by the statement check (the reproductions above)")
    monkeypatch.setattr("warehouse.clickhouse.backend.check_statement", lambda statement: statement)
    outcome: dict[str, object] = {}

    def loader_query() -> None:
        wh.execute(f"SELECT count() FROM (SELECT number FROM system.numbers LIMIT 200000) WHERE {SLEEPY}")
        outcome["done"] = True

    thread = threading.Thread(target=loader_query)
    thread.start()
    time.sleep(0.3)
    reader_url = warehouse_url.replace("clickhouse://", f"clickhouse://{READER}@")
    with connect(reader_url) as person, pytest.raises(NotReadOnly, match="attempts to kill query"):
        person.query_untrusted("KILL QUERY WHERE 1 SYNC", None, LIMITS)
    thread.join(30)
    assert outcome == {"done": True}


def test_a_full_reader_pool_answers_busy_instead_of_hanging() -> None:
    pool: ReaderPool[object] = ReaderPool(object, lambda _: None, size=1)
    with pool.reader(wait_s=1):
        started = time.monotonic()
        with pytest.raises(WarehouseBusy, match="busy"), pool.reader(wait_s=0.3):
            pass
        assert 0.25 < time.monotonic() - started < 2
    with pool.reader(wait_s=0.3):  # free again
        pass


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT 1",
        "  with x as (select 1) select * from x;",
        "SHOW TABLES",
        "-- note\nDESCRIBE events",
        "(SELECT 1)",
        "EXPLAIN SELECT 1",
        "SELECT 'INTO OUTFILE', 'file(' AS x",
        "SELECT format('{}', 'a')",
    ],
)
def test_read_statements_pass_the_check(sql: str) -> None:
    assert check_statement(sql)


@pytest.mark.parametrize(
    "sql",
    [
        "",
        "ALTER TABLE events_store DELETE WHERE 1",
        "OPTIMIZE TABLE x",
        "SELECT 1; SELECT 2",
        "-- x\rSELECT 1\nDROP TABLE t",
        "SELECT `file`('/etc/passwd')",
        "SELECT 1 into outfile 'x'",
        "SELECT 1 FORMAT TSV",
    ],
)
def test_other_statements_fail_the_check(sql: str) -> None:
    with pytest.raises(NotReadOnly):
        check_statement(sql)


def server_user_of(run: Callable[[str], QueryResult]) -> str:
    """The account a statement ran under (18.16 has no currentUser())."""
    marker = f"who-am-i-{time.monotonic_ns()}"
    rows = run(f"SELECT user FROM system.processes WHERE query LIKE '%{marker}%' AND is_initial_query").rows
    return str(rows[0][0])


def test_people_use_the_reader_account_of_a_server(clickhouse_server: str, tmp_path: Path) -> None:
    url = f"clickhouse://{clickhouse_server}/t_reader"
    with connect(url) as loader:
        migrate(loader)
    settings = load_settings(
        env={}, home=tmp_path / "home", warehouse_url=url, warehouse_reader_url=url.replace("//", f"//{READER}@")
    )
    assert server_user_of(lambda sql: run_query(settings, sql)) == "reader"
    stop = threading.Event()
    owner = threading.Thread(target=serve, args=(settings, []), kwargs={"port": free_port(), "stop": stop})
    owner.start()
    try:
        wait_until(lambda: live_owner(settings) is not None, 30, "the owner to serve")
        info = live_owner(settings)
        assert info is not None
        token = read_token(settings.warehouse_token_file)

        def through_owner(sql: str) -> QueryResult:
            response = requests.post(
                f"http://127.0.0.1:{info['port']}/query",
                data=sql.encode(),
                headers={"Authorization": f"Bearer {token}"},
                timeout=30,
            )
            body = response.json()
            return QueryResult(body["columns"], body["types"], [tuple(row) for row in body["rows"]])

        assert server_user_of(through_owner) == "reader"
    finally:
        stop.set()
        owner.join(30)
