"""The operator UI in a real headless Chromium against a running app over a generated world:
login (and its refusal), every page's main content, a funnel built in the page, its drop-offs
saved as an audience that reaches the live Redis profiles, the CLI and the page agreeing, the
read-only console, and client text that stays text. A screenshot of each page is kept."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import orjson
import pytest
import redis

from analytics.funnels import drop_off_users, run_funnel, saved_funnels
from analytics.metrics import list_metrics
from analytics.tag_overview import live_tag_sizes
from core.config import Settings
from core.processes import wait_until
from funnel_ui.builder import build_funnel, rows_of
from tests.funnel_ui.conftest import HOSTILE_BROWSERS, PASSWORD
from tests.funnel_ui.harness import choose, open_page, screenshot, settle, sign_in, table_rows
from warehouse.client import run_query

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def no_script_ran(page: Any) -> None:
    """Hostile client text was shown as text: nothing it carried became markup or ran."""
    assert page.evaluate("() => window.__xss") is None
    assert page.locator('img[src="x"]').count() == 0
    assert page.locator('a[href^="javascript"]').count() == 0
    assert page.locator('img[src*="beacon"]').count() == 0


def drop_alert(page: Any) -> Any:
    """The red message naming the biggest drop-off (shown once the funnel has run)."""
    return page.get_by_test_id("stAlertContentError").filter(has_text="Biggest drop-off:")


def percent_value(text: str) -> float:
    return float(text.rstrip("%"))


def test_a_wrong_password_is_refused_and_nothing_shows(browser: Any, ui: Settings, screenshots: Path) -> None:
    page = sign_in(browser, ui, "operator", "not the password", path="sql")
    page.get_by_text("Wrong user or password.").wait_for()
    screenshot(page, screenshots / "0-login-refused.png")
    assert page.get_by_role("link", name="Funnels").count() == 0
    assert page.get_by_label("Statement").count() == 0  # the SQL page behind the link never ran
    page = sign_in(browser, ui, "someone", PASSWORD)
    page.get_by_text("Wrong user or password.").wait_for()
    page.context.close()


def test_every_page_shows_its_main_content(browser: Any, ui: Settings, screenshots: Path) -> None:
    page = sign_in(browser, ui, "operator", PASSWORD, path="metrics")
    page.get_by_role("heading", name="Metrics", level=1).wait_for()  # a deep link survives signing in
    open_page(page, "Funnels")
    drop_alert(page).wait_for()
    assert page.locator(".js-plotly-plot").count() >= 3  # funnel, breakdown, time to convert
    assert page.get_by_role("heading", name="Users who dropped off").count() == 1
    screenshot(page, screenshots / "1-funnels.png")

    open_page(page, "Metrics")
    page.get_by_text(f"{len(list_metrics())} of {len(list_metrics())} metrics").wait_for()
    page.get_by_text("active_users by day").first.wait_for()
    page.get_by_role("heading", name="By channel").wait_for()
    screenshot(page, screenshots / "2-metrics.png")

    open_page(page, "Touchpoints")
    page.get_by_text("Value by slot").wait_for()
    screenshot(page, screenshots / "3-touchpoints.png")
    page.get_by_role("tab", name="Lift over holdout").click()
    settle(page)
    screenshot(page, screenshots / "3b-touchpoints-lift.png")

    open_page(page, "Tags")
    page.get_by_text("Largest tags now").wait_for()
    largest = live_tag_sizes(ui)[0]
    page.get_by_text(f"{largest.users:,} users", exact=True).wait_for()
    screenshot(page, screenshots / "4-tags.png")

    open_page(page, "SQL")
    page.get_by_text("rows in").wait_for()  # the example statement ran on arrival
    screenshot(page, screenshots / "5-sql.png")
    no_script_ran(page)
    page.get_by_role("button", name="Log out").click()
    page.get_by_role("button", name="Sign in").wait_for()
    assert page.get_by_role("link", name="Funnels").count() == 0
    page.context.close()


def test_the_funnels_page_shows_what_touchstream_funnel_prints(browser: Any, ui: Settings) -> None:
    cli = subprocess.run(
        [sys.executable, "-m", "touchstream", "funnel", "--saved", "plan_upgrade", "--json"],
        env={**os.environ, **ui.to_env()},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert cli.returncode == 0, cli.stderr
    printed = orjson.loads(cli.stdout)
    page = sign_in(browser, ui, "operator", PASSWORD)
    drop_alert(page).wait_for()
    shown = table_rows(page)
    assert [row[0] for row in shown] == [f"{k}. {s['name']}" for k, s in enumerate(printed["steps"])]
    assert [int(row[1].replace(",", "")) for row in shown] == [s["users"] for s in printed["steps"]]
    for row, step in zip(shown, printed["steps"], strict=True):
        assert percent_value(row[2]) == pytest.approx(100 * step["conversion_from_start"], abs=0.006)
        assert percent_value(row[3]) == pytest.approx(100 * step["conversion_from_previous"], abs=0.006)
    drop = printed["biggest_drop"]
    # the world plants plan_upgrade's loss after choose_upgrade_tier: the page says so
    assert (drop["from_step"], drop["to_step"]) == ("choose_upgrade_tier", "confirm")
    expected = (
        f"Biggest drop-off: {drop['from_step']} → {drop['to_step']} (step {drop['step_index']}): "
        f"{drop['lost_users']:,} users lost"
    )
    assert drop_alert(page).inner_text().startswith(expected)
    page.context.close()


def test_build_a_funnel_and_save_its_drop_offs_as_a_live_audience(
    browser: Any, ui: Settings, redis_client: redis.Redis, screenshots: Path
) -> None:
    page = sign_in(browser, ui, "operator", PASSWORD)
    drop_alert(page).wait_for()
    page.get_by_text("Funnel definition").click()
    page.get_by_role("textbox", name="Conversion window").fill("ten minutes")
    commit_input(page)
    page.get_by_role("button", name="Run funnel").click()
    settle(page)
    page.get_by_text("bad_window").wait_for()  # refused with the engine's reason, nothing run

    page.get_by_role("textbox", name="Conversion window").fill("20m")
    commit_input(page)
    page.get_by_text("strict", exact=True).click()
    choose(page, "Breakdown (first touch)", "ua_browser")
    page.get_by_role("button", name="Run funnel").click()
    settle(page)
    page.get_by_role("heading", name="By ua_browser").wait_for()
    expected = build_funnel(rows_of(saved_funnels()["plan_upgrade"]), "20m", "strict", "ua_browser")
    result = run_funnel(expected, ui)
    assert [int(row[1].replace(",", "")) for row in table_rows(page)] == [s.users for s in result.steps]
    choose(page, "ua_browser (first touch)", HOSTILE_BROWSERS[0])  # the client's text is an option, as text
    settle(page)
    no_script_ran(page)

    choose(page, "ua_browser (first touch)", "all")
    settle(page)
    step = result.biggest_drop.step_index if result.biggest_drop else 1
    dropped = {u.user_id for u in drop_off_users(expected, step, ui)}
    assert dropped
    page.get_by_text(f"{len(dropped):,} users reached step {step - 1} and not step {step}.").wait_for()
    name = page.get_by_label("Audience name (a-z, 0-9, _)")
    name.fill("Bad Name; DROP")
    commit_input(page)
    page.get_by_role("button", name="Save audience").click()
    settle(page)
    page.get_by_text("bad_audience_name").wait_for()
    name.fill("ui_tier_drop")
    commit_input(page)
    page.get_by_role("button", name="Save audience").click()
    settle(page)
    page.get_by_text(f"Saved audience:ui_tier_drop on {len(dropped):,} users").wait_for()
    screenshot(page, screenshots / "6-funnel-built-and-saved.png")
    for user in dropped:  # live at once: what a campaign reads on its next request
        assert redis_client.hexists(f"ts:{{{user}}}:tags", "audience:ui_tier_drop"), user

    wait_until(
        lambda: run_query(ui, "SELECT count() FROM audiences WHERE audience = 'ui_tier_drop'").scalar() == len(dropped),
        60,
        "the owner's loader to record the audience",
    )
    open_page(page, "Tags")
    page.get_by_text("audience:ui_tier_drop").wait_for()
    screenshot(page, screenshots / "7-tags-with-audience.png")
    page.context.close()


def test_the_sql_console_is_read_only_and_says_why(browser: Any, ui: Settings) -> None:
    page = sign_in(browser, ui, "operator", PASSWORD, path="sql")
    page.get_by_text("rows in").wait_for()
    statement = page.get_by_label("Statement")
    refusals = [
        ("DROP TABLE events_store", "read_only"),
        ("INSERT INTO events_store SELECT * FROM events_store", "read_only"),
        ("SELECT 1; DROP TABLE events_store", "syntax"),
        ("SELECT count() FROM file('/etc/passwd', 'TSV', 'x String')", "read_only"),
    ]
    for sql, reason in refusals:
        statement.fill(sql)
        page.get_by_role("button", name="Run").click()
        settle(page)
        page.get_by_text(f"Refused or failed: {reason}").wait_for()
        assert "root:" not in page.inner_text("body")
    statement.fill("SELECT count() AS n FROM events_store")
    page.get_by_role("button", name="Run").click()
    settle(page)
    page.get_by_text("1 rows in").wait_for()
    assert run_query(ui, "SELECT count() FROM system.tables WHERE name = 'events_store'").scalar() == 1
    page.context.close()


def commit_input(page: Any) -> None:
    """Leave the text field (Tab) and let the run it causes finish: a click that lands while the
    field's own rerun replaces the page can be lost (seen once in CI)."""
    page.keyboard.press("Tab")
    settle(page)
