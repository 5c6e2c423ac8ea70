"""The same SQL and rows on chDB and on a ClickHouse 18.16 server."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.warehouse.conftest import record
from warehouse import Warehouse, WarehouseError, connect
from warehouse.migrations import SQL_DIR, migrate, split_statements
from warehouse.sources import event_row


def test_migrations_are_idempotent(warehouse_url: str) -> None:
    with connect(warehouse_url) as wh:
        first = migrate(wh)
        assert first == sorted(p.stem for p in (SQL_DIR / "schema").glob("*.sql"))
        assert first[:3] == ["0001_events", "0002_quarantine", "0003_loaded_files"]
        assert migrate(wh) == []
        tables = {r[0] for r in wh.query("SHOW TABLES").rows}
        assert {"events_raw", "events", "quarantine_raw", "quarantine", "loaded_files", "schema_migrations"} <= tables


def test_rows_round_trip_with_materialized_props(wh: Warehouse) -> None:
    wh.insert(
        "events_raw",
        [
            event_row(
                record("e1", props={"flow": "plan_upgrade", "step": 2, "business": "plan", "amount": 19.5, "vip": True})
            )
        ],
    )
    result = wh.query("SELECT event_id, ts, business, flow, step, amount, prop_keys, prop_values FROM events")
    assert result.columns == ["event_id", "ts", "business", "flow", "step", "amount", "prop_keys", "prop_values"]
    (row,) = result.rows
    assert row[0] == "e1"
    assert row[1] == dt.datetime.fromtimestamp(1_790_000_000, dt.UTC)
    assert row[2:6] == ("plan", "plan_upgrade", 2, 19.5)
    assert list(row[6]) == ["flow", "step", "business", "amount", "vip"]
    assert list(row[7]) == ["plan_upgrade", "2", "plan", "19.5", "true"]


def test_duplicate_event_ids_count_once(wh: Warehouse) -> None:
    rows = [event_row(record(f"e{i}", channel=ch)) for i, ch in enumerate(["app", "app", "web"])]
    wh.insert("events_raw", rows)
    wh.insert("events_raw", rows[:2])  # a retried batch / a file loaded twice
    counts = dict(wh.query("SELECT channel, count() FROM events GROUP BY channel ORDER BY channel").rows)
    assert counts == {"app": 2, "web": 1}
    assert wh.query("SELECT count() FROM events_raw").scalar() == 5


def test_errors_carry_the_engine_message(wh: Warehouse) -> None:
    with pytest.raises(WarehouseError, match=r"(?i)unknown|missing|doesn't exist|does not exist"):
        wh.query("SELECT nope FROM events")


@pytest.mark.parametrize("path", sorted((SQL_DIR / "queries").glob("*.sql")), ids=lambda p: p.stem)
def test_analyst_queries_run(wh: Warehouse, path) -> None:
    ts = 1_790_000_000_000
    rows = []
    for user, steps in (("a", 3), ("b", 2), ("c", 1)):
        for step in range(1, steps + 1):
            rows.append(
                event_row(
                    record(
                        f"{user}{step}",
                        user=user,
                        ts=ts + step * 1000,
                        props={"flow": "plan_upgrade", "step": step, "business": "plan"},
                    )
                )
            )
    wh.insert("events_raw", rows)
    (statement,) = split_statements(path.read_text())
    result = wh.query(statement)
    assert result.rows
    if path.stem == "step_dropoff":
        assert [(r[0], r[1], r[2]) for r in result.rows] == [
            ("plan_upgrade", 1, 3),
            ("plan_upgrade", 2, 2),
            ("plan_upgrade", 3, 1),
        ]
        assert [float(r[3]) for r in result.rows] == [0.0, 33.3, 50.0]
    if path.stem == "flow_funnel":
        assert sorted((r[1], r[2]) for r in result.rows) == [(1, 1), (2, 1), (3, 1)]


def test_wide_integers_keep_every_digit(wh: Warehouse, warehouse_url: str) -> None:
    sql = "SELECT toUInt64('18446744073709551615') AS u, toInt64('-9223372036854775808') AS i"
    if warehouse_url.startswith("chdb:"):  # 18.16 has no 128-bit integers
        sql += ", toUInt128('340282366920938463463374607431768211455') AS w"
    assert wh.query(sql).rows[0] == (2**64 - 1, -(2**63), 2**128 - 1)[: len(wh.query(sql).columns)]
