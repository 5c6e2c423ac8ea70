"""`touchstream funnel` end to end on an embedded warehouse (and a real Redis for audiences)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import orjson
import pytest
import redis
from typer.testing import CliRunner

from core.config import Settings
from tests.analytics.conftest import event, flow_step
from touchstream.cli import app
from warehouse import connect
from warehouse.migrations import migrate
from warehouse.sources import insert_events

STEPS = ["--step", "flow_step flow=plan_upgrade step=1", "--step", "flow_step flow=plan_upgrade step=2"]
STEPS += ["--step", "flow_step flow=plan_upgrade step=3"]


@pytest.fixture
def home(settings: Settings) -> Path:
    """An embedded warehouse with a small plan_upgrade population, closed again for the CLI."""
    records = []
    for i in range(6):
        channel = "web" if i < 3 else "app"
        records += [flow_step(f"u{i}", 1, 0, channel)]
        if i % 3 != 0:
            records += [flow_step(f"u{i}", 2, 10 + i, channel)]
        if i == 5:
            records += [flow_step(f"u{i}", 3, 40, channel)]
    records += [event("[/x]", "page_view", 0, ref_share_id="[bold]x[/bold] [/x]", business="plan")]
    records += [flow_step("[/x]", 1, 5)]
    with connect(settings.warehouse_url) as wh:
        migrate(wh)
        insert_events(wh, records)
    return settings.home


def invoke(home: Path, *args: str, redis_url: str | None = None):  # type: ignore[no-untyped-def]
    options = ["--home", str(home)] + (["--redis-url", redis_url] if redis_url else [])
    return CliRunner().invoke(app, [*options, "funnel", *args], catch_exceptions=False)


def test_json_has_exactly_the_documented_shape(home: Path) -> None:
    result = invoke(home, *STEPS, "--window", "30m", "--by", "channel", "--json")
    assert result.exit_code == 0, result.output
    body = orjson.loads(result.stdout)
    assert list(body) == ["steps", "biggest_drop", "breakdown"]
    assert [s["users"] for s in body["steps"]] == [7, 4, 1]
    assert list(body["steps"][0]) == [
        "name",
        "users",
        "conversion_from_start",
        "conversion_from_previous",
        "median_seconds_to_convert",
        "p90_seconds_to_convert",
    ]
    assert body["steps"][1]["conversion_from_previous"] == round(4 / 7, 4)
    assert body["biggest_drop"] == {
        "step_index": 1,
        "from_step": "flow_step flow=plan_upgrade step=1",
        "to_step": "flow_step flow=plan_upgrade step=2",
        "lost_users": 3,
        "drop_rate": round(3 / 7, 4),
        "breakdown_outliers": [],
    }
    assert {v: [s["users"] for s in r["steps"]] for v, r in body["breakdown"].items()} == {
        "app": [4, 2, 1],
        "web": [3, 2, 0],
    }
    assert body["breakdown"]["app"]["biggest_drop"]["step_index"] == 1


def test_table_escapes_what_people_and_clients_wrote(home: Path) -> None:
    result = invoke(
        home, "--step", "page_view ref_share_id='[bold]x[/bold] [/x]'", "--step", "flow_step", "--by", "ref_share_id"
    )
    assert result.exit_code == 0, result.output
    assert "[bold]x[/bold] [/x]" in result.stdout
    assert "biggest drop" in result.stdout
    saved = invoke(home, "--saved", "plan_upgrade", "--from", "2026-01-01")
    assert saved.exit_code == 0, saved.output
    assert "choose_upgrade_tier" in saved.stdout


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        ((), "no_steps"),
        (("--step", "nope", "--step", "click"), "unknown_event"),
        (("--step", 'flow_step "flow=x\'; DROP TABLE events_raw --"', "--step", "click"), "bad_value"),
        (("--step", "flow_step flow=x'; DROP TABLE events_raw --", "--step", "click"), "bad_step"),
        ((*STEPS, "--window", "30"), "bad_window"),
        ((*STEPS, "--mode", "loose"), "invalid_funnel"),
        ((*STEPS, "--by", "nope"), "unknown_breakdown"),
        ((*STEPS, "--from", "yesterday"), "bad_date"),
        (("--saved", "nope"), "unknown_funnel"),
        (("--saved", "plan_upgrade", *STEPS), "bad_funnel"),
        ((*STEPS, "--users", "0"), "bad_step_index"),
        ((*STEPS, "--users", "3"), "bad_step_index"),
        ((*STEPS, "--csv", "x.csv"), "needs_users"),
        ((*STEPS, "--users", "1", "--value", "web"), "no_breakdown"),
        ((*STEPS, "--users", "1", "--save-audience", "Bad Name", "--expires", "2099-01-01"), "bad_audience_name"),
        ((*STEPS, "--users", "1", "--save-audience", "ok"), "no_expiry"),
    ],
)
def test_bad_input_exits_2_with_a_reason(home: Path, args: tuple[str, ...], reason: str) -> None:
    result = invoke(home, *args, "--json")
    assert result.exit_code == 2, result.output
    assert orjson.loads(result.stdout)["error"]["reason"] == reason
    with connect(f"chdb://{home / 'warehouse'}") as wh:
        assert wh.query("SELECT count() FROM events").scalar() == 13


def test_drop_off_users_as_csv_and_as_a_live_audience(
    home: Path, tmp_path: Path, redis_url: str, redis_client: redis.Redis
) -> None:
    listed = invoke(home, *STEPS, "--by", "channel", "--users", "1", "--value", "web")
    assert listed.exit_code == 0, listed.output
    rows = list(csv.DictReader(io.StringIO(listed.stdout)))
    assert [(r["user_id"], r["breakdown"]) for r in rows] == [("u0", "web")]
    out = tmp_path / "dropped.csv"
    saved = invoke(
        home,
        *STEPS,
        "--users",
        "2",
        "--csv",
        str(out),
        "--save-audience",
        "tier_drop",
        "--expires",
        "2099-12-31",
        "--json",
        redis_url=redis_url,
    )
    assert saved.exit_code == 0, saved.output
    summary = orjson.loads(saved.stdout)
    assert (summary["users"], summary["audience"]) == (3, "audience:tier_drop")
    assert [r["user_id"] for r in csv.DictReader(out.open())] == ["u1", "u2", "u4"]
    assert redis_client.hexists("ts:{u4}:tags", "audience:tier_drop")
    assert not redis_client.hexists("ts:{u5}:tags", "audience:tier_drop")
    assert len(list((home / "audiences").glob("*-tier_drop.jsonl"))) == 1
