"""The metric pre-aggregate (sql/schema/0202_events_daily.sql) on both engines: filled by a
materialized view at each insert, exact across inserts and merges, fed by the loader,
backfilled once; and the collector log (0201_collector_log.sql) that makes duplicates visible."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import orjson

from analytics.metrics import metric_series, metric_total
from analytics.metrics.collector_log import collector_log_source
from analytics.metrics.preaggregate import with_preaggregate_repair
from analytics.metrics.series import ALL
from core.config import Settings
from flink_jobs.outputs import job_event_row, warehouse_sources
from tests.analytics.metrics_world import write_segment
from tests.warehouse.conftest import publish_job_events, record
from warehouse import Warehouse, connect
from warehouse.loader import Loader
from warehouse.migrations import SCHEMA_DIR, migrate, split_statements
from warehouse.sources import insert_events

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
    week = metric_series("page_view_users", "week", None, DAY, DAY + dt.timedelta(days=1), target=wh)
    assert [p.value for p in week.line(ALL).points] == [3]


def test_rows_loaded_by_the_loader_reach_the_aggregate(wh: Warehouse, settings: Settings) -> None:
    publish_job_events(settings, "part-0-0", [page_view("a", "u1", 0), page_view("b", "u2", 1, ref_share_id="sh1")])
    Loader(wh, warehouse_sources(settings)).load_pending()
    assert daily(wh) == (2, 2)
    assert daily(wh, "referred = 1") == (1, 1)


def test_a_resent_event_is_a_duplicate(wh: Warehouse, settings: Settings) -> None:
    """A client resend is a second line in the collector log; the stream job keeps one event."""
    events = [page_view("a", "u1", 0), page_view("b", "u2", 1), page_view("c", "u3", 2, channel="web")]
    write_segment(settings, events)
    write_segment(settings, [events[0]], name="seg-0000000000002-1-000002")  # the resend, in a later segment
    insert_events(wh, events)
    Loader(wh, [collector_log_source(settings)]).load_pending()
    assert Loader(wh, [collector_log_source(settings)]).load_pending().files == 0  # each segment once
    assert metric_total("logged_events", DAY, DAY, target=wh) == {ALL: 4}
    assert metric_total("distinct_events", DAY, DAY, target=wh) == {ALL: 3}
    assert metric_total("duplicate_events", DAY, DAY, target=wh) == {ALL: 1}
    assert metric_total("duplicate_rate", DAY, DAY, target=wh) == {ALL: 25.0}
    assert metric_total("duplicate_events", DAY, DAY, "channel", target=wh) == {"app": 1, "web": 0}


def test_a_bad_log_line_is_skipped_and_counted(wh: Warehouse, settings: Settings) -> None:
    write_segment(settings, [page_view("a", "u1", 0), {"channel": "app", "event": "page_view", "ts": "soon"}])
    report = Loader(wh, [collector_log_source(settings)]).load_pending()
    assert (report.rows, report.bad_lines) == (1, 1)


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
        # a crash after the statements but before the migration was recorded: they run again
        for statement in split_statements((SCHEMA_DIR / "0202_events_daily.sql").read_text()):
            wh.execute(statement)
        assert daily(wh) == (2, 2)
        insert_events(wh, [page_view("c", "u3", 2)])  # the view exists once: counted once
        assert daily(wh) == (3, 3)


def test_a_load_cut_short_leaves_the_pre_aggregate_exact(wh: Warehouse, settings: Settings) -> None:
    """The loader deletes a file's partial rows and loads it again; the view had aggregated them
    already, so their days are rebuilt in between (analytics/metrics/preaggregate.py)."""
    records = [record(f"e{i}", user=f"u{i % 3}", ts=1_790_000_000_000 + i * 60_000) for i in range(6)]
    path = publish_job_events(settings, "part-cut-0-0", records)
    (events,) = [s for s in warehouse_sources(settings) if s.name == "events"]
    source = with_preaggregate_repair(events)
    Loader(wh, [source])._record(source, path, "loading")
    partial = [{**job_event_row({"line": orjson.dumps(r).decode()}), "source_file": "events/part-cut-0-0"}
               for r in records[:4]]  # fmt: skip
    wh.insert("events_store", partial)  # the crash: four of six rows in, and in events_daily through the view
    Loader(wh, [source]).load_pending()
    assert wh.query("SELECT count() FROM events").scalar() == 6
    assert wh.query("SELECT countMerge(events) FROM events_daily").scalar() == 6
    assert wh.query("SELECT uniqExactMerge(users) FROM events_daily").scalar() == 3
