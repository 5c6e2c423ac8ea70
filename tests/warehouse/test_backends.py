"""The same SQL and rows on chDB and on a ClickHouse 18.16 server."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.warehouse.conftest import record
from warehouse import Warehouse, WarehouseError, connect
from warehouse.migrations import SQL_DIR, _apply, migrate, split_statements
from warehouse.sources import insert_events


def test_migrations_are_idempotent(warehouse_url: str) -> None:
    with connect(warehouse_url) as wh:
        first = migrate(wh)
        assert first == sorted(p.stem for p in (SQL_DIR / "schema").glob("*.sql"))
        assert first[:3] == ["0001_events", "0002_quarantine", "0003_loaded_files"]
        assert migrate(wh) == []
        tables = {r[0] for r in wh.query("SHOW TABLES").rows}
        assert {"events_store", "events", "quarantine_raw", "quarantine", "loaded_files", "schema_migrations"} <= tables
        assert not {"events_raw", "stream_events", "stream_events_raw"} & tables  # one events table


def test_migrations_repair_a_half_applied_file(warehouse_url: str) -> None:
    """Every statement is idempotent: a migration interrupted after any statement applies again cleanly,
    ``ADD COLUMN IF NOT EXISTS`` included (emulated on ClickHouse 18.16, which lacks it)."""
    with connect(warehouse_url) as wh:
        migrate(wh)
        for path in sorted((SQL_DIR / "schema").glob("*.sql")):
            for statement in split_statements(path.read_text()):
                _apply(wh, statement)  # everything once more, as if each file had been cut short
        assert wh.query("SELECT count() FROM events").scalar() == 0
        columns = [r[0] for r in wh.query("DESCRIBE TABLE tag_changes_raw").rows]
        assert columns.count("set_at_ms") == 1


def test_rows_round_trip_with_materialized_props(wh: Warehouse) -> None:
    insert_events(
        wh, [record("e1", props={"flow": "plan_upgrade", "step": 2, "business": "plan", "amount": 19.5, "vip": True})]
    )
    result = wh.query("SELECT event_id, ts, business, flow, step, amount, prop_keys, prop_values FROM events")
    assert result.columns == ["event_id", "ts", "business", "flow", "step", "amount", "prop_keys", "prop_values"]
    (row,) = result.rows
    assert row[0] == "e1"
    assert row[1] == dt.datetime.fromtimestamp(1_790_000_000, dt.UTC)
    assert row[2:6] == ("plan", "plan_upgrade", 2, 19.5)
    assert list(row[6]) == ["flow", "step", "business", "amount", "vip"]
    assert list(row[7]) == ["plan_upgrade", "2", "plan", "19.5", "true"]


def test_the_events_view_reads_without_final(wh: Warehouse) -> None:
    """Deduplication happens upstream (stream job, exactly-once loader): the view is a plain projection."""
    sql = wh.query(
        "SELECT create_table_query FROM system.tables WHERE name = 'events' AND database = currentDatabase()"
    )
    assert "FINAL" not in str(sql.scalar()).upper()
    insert_events(wh, [record(f"e{i}", channel=ch) for i, ch in enumerate(["app", "app", "web"])])
    counts = dict(wh.query("SELECT channel, count() FROM events GROUP BY channel ORDER BY channel").rows)
    assert counts == {"app": 2, "web": 1}


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
                record(
                    f"{user}{step}",
                    user=user,
                    ts=ts + step * 1000,
                    props={"flow": "plan_upgrade", "step": step, "business": "plan"},
                )
            )
    insert_events(wh, rows)
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
