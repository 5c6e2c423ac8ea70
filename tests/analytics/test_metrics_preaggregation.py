"""The metric pre-aggregates (sql/schema/0200_events_daily.sql, 0201_collector_daily.sql) on both engines:
filled by materialized views at each insert, exact across inserts and merges, backfilled
once, and the collector-log count that makes duplicates visible."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import orjson

from analytics.metrics import metric_series, metric_total
from analytics.metrics.series import ALL
from tests.warehouse.conftest import record
from warehouse import Warehouse, connect
from warehouse.loader import Loader
from warehouse.migrations import SCHEMA_DIR, migrate, split_statements
from warehouse.sources import collector_sources, insert_events

DAY = dt.date(2026, 3, 2)
T0 = int(dt.datetime(2026, 3, 2, 9, tzinfo=dt.UTC).timestamp() * 1000)
HOUR = 3_600_000


def page_view(event_id: str, user: str, hours: int, channel: str = "app", **props: object) -> dict:
    return record(
        event_id,
        user=user,
        channel=channel,
        ts=T0 + hours * HOUR,
        event="page_view",
        props={"business": "plan", **props},
    )


def daily(wh: Warehouse, where: str = "1") -> tuple[int, int]:
    """(events, distinct users) in events_daily, merged over every row that matches."""
    row = wh.query(f"SELECT countMerge(events), uniqExactMerge(users) FROM events_daily WHERE {where}").rows[0]
    return int(row[0]), int(row[1])


def test_each_insert_is_aggregated_and_merges_change_nothing(wh: Warehouse) -> None:
    insert_events(wh, [page_view("a", "u1", 0), page_view("b", "u2", 1)])
    insert_events(wh, [page_view("c", "u1", 2), page_view("d", "u3", 3, channel="web")])
    insert_events(wh, [page_view("e", "u1", 30)])  # the next day
    assert daily(wh) == (5, 3)
    assert daily(wh, f"day = '{DAY}'") == (4, 3)
    assert daily(wh, "channel = 'app'") == (4, 2)
    wh.execute("OPTIMIZE TABLE events_daily FINAL")
    assert daily(wh) == (5, 3)
    # week-level distinct users are exact: u1 on both days counts once
    week = metric_series("page_view_users", "week", None, DAY, DAY + dt.timedelta(days=1), run=wh.query)
    assert [p.value for p in week.line(ALL).points] == [3]


def test_rows_loaded_by_the_loader_reach_the_aggregates(wh: Warehouse, settings) -> None:  # type: ignore[no-untyped-def]
    settings.event_log.mkdir(parents=True)
    lines = [page_view("a", "u1", 0), page_view("b", "u2", 1, ref_share_id="sh1")]
    (settings.event_log / "seg-0000000000001-1-000001.jsonl").write_bytes(
        b"".join(orjson.dumps(r) + b"\n" for r in lines)
    )
    Loader(wh, collector_sources(settings)).load_pending()
    assert daily(wh) == (2, 2)
    assert daily(wh, "referred = 1") == (1, 1)
    assert wh.query("SELECT sum(rows) FROM collector_daily").scalar() == 2


def test_a_resent_event_is_a_duplicate(wh: Warehouse) -> None:
    """A client resend is a second line in the collector log with the same event_id."""
    events = [page_view("a", "u1", 0), page_view("b", "u2", 1), page_view("c", "u3", 2, channel="web")]
    insert_events(wh, events)
    insert_events(wh, [events[0]])  # the resend, in a later segment
    assert metric_total("logged_events", DAY, DAY, run=wh.query) == {ALL: 4}
    assert metric_total("distinct_events", DAY, DAY, run=wh.query) == {ALL: 3}
    assert metric_total("duplicate_events", DAY, DAY, run=wh.query) == {ALL: 1}
    assert metric_total("duplicate_rate", DAY, DAY, run=wh.query) == {ALL: 25.0}
    assert metric_total("duplicate_events", DAY, DAY, "channel", run=wh.query) == {"app": 1, "web": 0}
    # merging the events table removes the copy from the raw table; the logged count stays
    wh.execute("OPTIMIZE TABLE events_raw FINAL")
    assert metric_total("duplicate_events", DAY, DAY, run=wh.query) == {ALL: 1}


def _schema_before(tmp_path: Path, version: str) -> Path:
    older = tmp_path / "schema"
    older.mkdir()
    for path in sorted(SCHEMA_DIR.glob("*.sql")):
        if path.stem < version:
            shutil.copy(path, older / path.name)
    return older


def test_the_migration_backfills_existing_events_once(warehouse_url: str, tmp_path: Path) -> None:
    with connect(warehouse_url) as wh:
        migrate(wh, _schema_before(tmp_path, "0200"))
        insert_events(wh, [page_view("a", "u1", 0), page_view("b", "u2", 1)])
        migrate(wh)
        assert daily(wh) == (2, 2)
        assert wh.query("SELECT sum(rows) FROM collector_daily").scalar() == 2
        # a crash after the statements but before the migration was recorded: they run again
        for name in ("0200_events_daily.sql", "0201_collector_daily.sql"):
            for statement in split_statements((SCHEMA_DIR / name).read_text()):
                wh.execute(statement)
        assert daily(wh) == (2, 2)
        assert wh.query("SELECT sum(rows) FROM collector_daily").scalar() == 2
        insert_events(wh, [page_view("c", "u3", 2)])  # the view exists once: counted once
        assert daily(wh) == (3, 3)
        assert wh.query("SELECT sum(rows) FROM collector_daily").scalar() == 3
