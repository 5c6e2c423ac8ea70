"""``touchstream metrics`` end to end on both engines, and every hostile input we could think of.

The command runs in-process (typer's runner) against a warehouse holding the hand-built
world; with a ``clickhouse://`` URL it talks to the 18.16 server, with ``chdb://`` it opens
the directory itself (no owner running), both through ``warehouse.client.run_query``.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from analytics.metrics import MetricInputError, compare_channels, default_metric_catalogue, metric_series, metric_total
from analytics.metrics.series import ALL
from core.config import load_settings
from core.processes import wait_until
from tests.analytics import metrics_oracle as oracle
from tests.analytics import metrics_world as world
from tests.analytics.metrics_world import write_segment
from tests.warehouse.conftest import publish_job_events, record, running_owner
from touchstream.cli import app
from warehouse import connect
from warehouse.base import QueryResult
from warehouse.client import run_query
from warehouse.migrations import migrate
from warehouse.sources import insert_events

pytestmark = pytest.mark.integration

RANGE = ["--from", str(world.FIRST), "--to", str(world.LAST)]
HOSTILE_BUSINESS = "[bold red]x[/] '; DROP TABLE events_raw; --"


@pytest.fixture
def cli(warehouse_url: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    """Run ``touchstream --home … --warehouse-url … ARGS``; the warehouse holds the world."""
    with connect(warehouse_url) as wh:
        migrate(wh)
        hostile = record("hostile", user="u9", event="page_view", ts=world.epoch_ms(4, "12:00:00"))
        hostile["props"] = {"business": HOSTILE_BUSINESS}
        insert_events(wh, [*world.event_records(), hostile])
    runner = CliRunner()

    def invoke(*args: str):  # type: ignore[no-untyped-def]
        return runner.invoke(app, ["--home", str(tmp_path / "home"), "--warehouse-url", warehouse_url, *args])

    yield invoke
    with connect(warehouse_url) as wh:  # whatever the attacks did, the tables are intact
        assert wh.query("SELECT count() FROM events").scalar() == len(world.event_records()) + 1


def test_list_json_is_the_catalogue(cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("metrics", "list", "--json")
    assert result.exit_code == 0, result.output
    entries = orjson.loads(result.stdout)
    assert [e["name"] for e in entries] == list(default_metric_catalogue().metrics)
    assert {"name", "family", "description", "unit", "dimensions"} <= entries[0].keys()


def test_list_table_and_search(cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("metrics", "list", "--search", "upgrade_tier")
    assert result.exit_code == 0
    assert "flow_plan_upgrade_s2_choose_upgrade_tier_users" in result.stdout
    assert "page_views" not in result.stdout


def test_show_json_matches_the_oracle(cli) -> None:  # type: ignore[no-untyped-def]
    result = cli(
        "metrics", "show", "flow_plan_upgrade_s2_conversion", "--by", "week", "--dim", "channel", *RANGE, "--json"
    )
    assert result.exit_code == 0, result.output
    body = orjson.loads(result.stdout)
    assert (body["metric"], body["grain"], body["dimension"], body["unit"]) == (
        "flow_plan_upgrade_s2_conversion",
        "week",
        "channel",
        "percent",
    )
    want = oracle.expected("flow_plan_upgrade_s2_conversion", "week", "channel", world.FIRST, world.LAST)
    got = {
        line["key"]: {dt.date.fromisoformat(p["period"]): p["value"] for p in line["points"]} for line in body["lines"]
    }
    assert got == want
    assert all("anomaly" in p for line in body["lines"] for p in line["points"])


def test_show_table(cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("metrics", "show", "page_views", "--by", "week", "--dim", "channel", *RANGE)
    assert result.exit_code == 0, result.output
    assert "page_views (events) by week" in result.stdout
    assert "2026-01-26" in result.stdout and "wechat" in result.stdout


def test_hostile_values_in_the_data_print_as_text(cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("metrics", "show", "page_views", "--dim", "business", "--from", "2026-01-30", "--to", "2026-01-30")
    assert result.exit_code == 0, result.output
    assert "[bold red]x[/]" in result.stdout.replace("\n", "").replace("│", "").replace(" ", "") or (
        "[bold" in result.stdout
    )
    as_json = cli(
        "metrics", "show", "page_views", "--dim", "business", "--from", "2026-01-30", "--to", "2026-01-30", "--json"
    )
    assert HOSTILE_BUSINESS in [line["key"] for line in orjson.loads(as_json.stdout)["lines"]]


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (["no_such_metric"], "unknown_metric"),
        (["page_views'; DROP TABLE events_raw; --"], "unknown_metric"),
        (["page_views", "--dim", "flow"], "dimension_not_allowed"),
        (["page_views", "--dim", "channel) OR 1=1 --"], "dimension_not_allowed"),
        (["page_views", "--dim", "[bold]channel"], "dimension_not_allowed"),
        (["page_views", "--by", "year"], "bad_grain"),
        (["page_views", "--by", "toMonday(day)"], "bad_grain"),
        (["page_views", "--from", "2026-02-10", "--to", "2026-02-01"], "bad_range"),
        (["page_views", "--from", "1900-01-01", "--to", "1900-01-31"], "bad_range"),
        (["page_views", "--from", "2020-01-01", "--to", "2026-01-01"], "bad_range"),
        (["x" * 100_000], "unknown_metric"),
    ],
)
def test_requests_the_catalogue_does_not_allow(cli, args: list[str], reason: str) -> None:  # type: ignore[no-untyped-def]
    result = cli("metrics", "show", *args, "--json")
    assert result.exit_code == 2, result.output
    body = orjson.loads(result.stdout)
    assert body["reason"] == reason
    assert len(body["error"]) < 400  # a huge input is not echoed back whole
    text = cli("metrics", "show", *args)
    assert text.exit_code == 2 and f"({reason})" in text.stderr


@pytest.mark.parametrize("day", ["2026-02-30", "20260201", "2026-W05-1", "2026-01-01' OR '1'='1", "", "٢٠٢٦-٠١-٠١"])
def test_dates_are_strict(cli, day: str) -> None:  # type: ignore[no-untyped-def]
    result = cli("metrics", "show", "page_views", "--from", day)
    assert result.exit_code == 2
    assert "YYYY-MM-DD" in result.output or "month" in result.output or "day is out of range" in result.output


def test_functions_refuse_before_any_query(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The UI calls the functions directly: nothing reaches SQL before the checks pass."""
    ran: list[str] = []

    def run(target: object, sql: str, params: object) -> QueryResult:
        ran.append(sql)
        return QueryResult(columns=["period", "dimension", "value"], types=["Date", "String", "Float64"])

    monkeypatch.setattr("analytics.metrics.series.run_sql", run)
    settings = load_settings(env={}, home=tmp_path)

    attempts = [
        {"name": ["page_views"]},
        {"name": "page_views", "grain": None},
        {"name": "page_views", "dimension": 7},
        {"name": "page_views", "start": "2026-01-01' OR 1=1 --"},
        {"name": "page_views", "start": dt.datetime(2026, 1, 1, tzinfo=dt.UTC)},
        {"name": "page_views", "end": 20260101},
    ]
    for attempt in attempts:
        with pytest.raises(MetricInputError):
            metric_series(**{"grain": "day", **attempt}, target=settings)  # type: ignore[arg-type]
    assert ran == []
    series = metric_series("page_views", "day", None, world.FIRST, world.FIRST, target=settings)
    assert series.line(ALL).points[0].value == 0 and len(ran) == 1


def test_through_a_running_warehouse_owner(tmp_path: Path) -> None:
    """With `make run` up, the CLI and the UI's functions query through the owner process,
    which loads the job's events and the collector's log."""
    with running_owner(tmp_path / "owner") as owner:
        publish_job_events(owner, "part-0-0", world.event_records())
        write_segment(owner, world.log_records())
        expected = len(world.event_records()), len(world.log_records())

        def loaded() -> bool:
            counts = run_query(owner, "SELECT (SELECT count() FROM events), (SELECT count() FROM collector_log)")
            return tuple(counts.rows[0]) == expected

        wait_until(loaded, 30, "the world loaded")
        result = CliRunner().invoke(app, ["--home", str(owner.home), "metrics", "show", "sessions", *RANGE, "--json"])
        assert result.exit_code == 0, result.output
        points = orjson.loads(result.stdout)["lines"][0]["points"]
        assert {dt.date.fromisoformat(p["period"]): p["value"] for p in points} == oracle.expected(
            "sessions", "day", None, world.FIRST, world.LAST
        )[ALL]
        comparison = compare_channels("touchpoint_ctr", "week", world.FIRST, world.LAST, target=owner)
        want = oracle.expected("touchpoint_ctr", "range", "channel", world.FIRST, world.LAST)
        assert comparison.totals == {key: values[world.FIRST] for key, values in want.items()}
        assert comparison.totals["app"] == 100.0  # u1 clicked the one app exposure
        total = metric_total("duplicate_events", world.FIRST, world.LAST, target=owner)
        assert total == {ALL: 1}
