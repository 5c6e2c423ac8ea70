"""Operator UI speed in a real browser: the Funnels page's full load and every page's load, against
the analytics queries those pages run, in one run.

    .venv/bin/python -m benchmarks.ui --users 10000 --days 7 --repeat 3

A generated world (touchstream/traffic/generate.py) in an embedded warehouse in a temporary home,
a running warehouse owner and ``touchstream ui`` (the ``make run`` path), Debian's Chromium
through Playwright. Baseline first, in the same run: the analytics functions each page calls on
arrival, run directly through the same read-only owner path (``run_query``), no app, no browser:
one warm-up run, then the median of ``--repeat`` (the engine warm, as the UI then finds it).
Then a fresh UI (its 60 s query cache empty) and a fresh browser context: the Funnels page's full
load is from the click on "Sign in" to the default Funnels page complete (funnel chart, step
table, time-to-convert histogram, drop-off list, the app idle), loading the app's scripts and
Plotly included. Each other page's first load (queries not cached yet) and the median of
``--repeat`` later loads (cached) are timed from the click on its link to its main content
drawn and the app idle. Ratios: first load over the direct queries, what the app and browser add.
Prints one JSON line.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

from analytics.funnels import drop_off_users, run_funnel, saved_funnels, time_to_convert
from analytics.metrics import compare_channels, metric_series
from analytics.tag_overview import audience_sizes, live_tag_sizes
from analytics.touchpoint_value import DateRange
from analytics.touchpoint_value.report import touchpoint_report
from core.config import Settings
from core.processes import free_port
from tests.funnel_ui.harness import SCRIPT_STATE, WAIT_MS, chromium, running_ui, settle, sign_in, tag_changes
from tests.warehouse.conftest import running_owner
from touchstream.traffic.generate import generate_world
from warehouse.client import run_query
from warehouse.connect import connect
from warehouse.migrations import migrate
from warehouse.sources import insert_events

PASSWORD = "benchmark-password-0123"


def page_queries(settings: Settings) -> dict[str, Callable[[], object]]:
    """What each page asks the warehouse on arrival (its default view), without the app."""
    today = dt.datetime.now(dt.UTC).date()
    start = today - dt.timedelta(days=29)
    spec = saved_funnels()["plan_upgrade"].spec()

    def funnels() -> None:
        result = run_funnel(spec, settings)
        step = result.biggest_drop.step_index if result.biggest_drop else 1
        time_to_convert(spec, step, settings, 120)
        drop_off_users(spec, step, settings)

    def metrics() -> None:
        metric_series("active_users", "day", None, start, today, target=settings)
        compare_channels("active_users", "day", start, today, target=settings)

    def touchpoints() -> None:
        touchpoint_report(settings, "results", DateRange(start=start, end=today), "total", ("slot",))

    def tags() -> None:
        live_tag_sizes(settings)
        metric_series("tag_first_sets", "day", "tag_family", start, today, target=settings)
        audience_sizes(settings)

    def sql() -> None:
        run_query(
            settings, "SELECT channel, count() AS events, uniqExact(user_id) AS users FROM events GROUP BY channel"
        )

    return {"Funnels": funnels, "Metrics": metrics, "Touchpoints": touchpoints, "Tags": tags, "SQL": sql}


MAIN_CONTENT = {  # what "loaded" means for each page: locators that must be visible
    "Funnels": ['[data-testid="stTableStyledTable"]', "text=Time to convert into", "text=users reached step"],
    "Metrics": ["text=active_users by day", "text=over the range, by channel"],
    "Touchpoints": ["text=Value by slot"],
    "Tags": ["text=Largest tags now", "text=Saved audiences"],
    "SQL": ["textarea"],  # the example statement runs once per session, on its first visit
}


def load_page(page: Any, title: str) -> float:
    """Seconds from the click on the page's link to its main content shown and the app's run over."""
    started = time.perf_counter()
    page.get_by_role("link", name=title, exact=True).click()
    page.get_by_role("heading", name=title, level=1).wait_for()
    for selector in MAIN_CONTENT[title]:
        page.locator(selector).first.wait_for()
    page.wait_for_function(f"() => ({SCRIPT_STATE})() === 'notRunning'", timeout=WAIT_MS)
    took = time.perf_counter() - started
    settle(page)  # not timed: make sure nothing follows before the next page
    return took


def full_load(browser: Any, settings: Settings) -> float:
    """Seconds from the click on "Sign in" in a fresh browser context to the default Funnels page complete."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(WAIT_MS)
    page = context.new_page()
    page.goto(settings.ui_url)
    page.get_by_label("User").fill("operator")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    started = time.perf_counter()
    page.get_by_role("button", name="Sign in").click()
    for selector in MAIN_CONTENT["Funnels"]:
        page.locator(selector).first.wait_for()
    page.wait_for_function(f"() => ({SCRIPT_STATE})() === 'notRunning'", timeout=WAIT_MS)
    took = time.perf_counter() - started
    context.close()
    return took


def median_seconds(call: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ui-bench-") as tmp:
        home = Path(tmp) / "home"
        started = time.perf_counter()
        events = [e | {"received_at": e["ts"]} for e in generate_world(args.users, args.days, args.seed)]
        with connect(f"chdb://{home / 'warehouse'}") as wh:
            migrate(wh)
            insert_events(wh, events)
            wh.insert("tag_changes_raw", tag_changes(events))
        load_s = time.perf_counter() - started
        with running_owner(home, sql_max_execution_s=120, sql_max_result_rows=1_000_000) as owner:
            settings = owner.with_overrides(ui_port=free_port(), ui_password=PASSWORD)
            queries = page_queries(settings)
            cold_direct = {title: median_seconds(call, 1) for title, call in queries.items()}
            direct = {title: median_seconds(call, args.repeat) for title, call in queries.items()}
            with running_ui(settings, Path(tmp) / "ui.log"), chromium() as browser:
                funnels_full = full_load(browser, settings)  # the app's query cache empty
                funnels_full_cached = full_load(browser, settings)  # a new browser context, queries cached
                page = sign_in(browser, settings, "operator", PASSWORD, path="sql")
                page.get_by_text("rows in").wait_for()
                settle(page)
                first = {"Funnels": funnels_full} | {t: load_page(page, t) for t in MAIN_CONTENT if t != "Funnels"}
                cached = {t: statistics.median(load_page(page, t) for _ in range(args.repeat)) for t in MAIN_CONTENT}
                page.context.close()
    report = {
        "benchmark": "ui",
        "users": args.users,
        "days": args.days,
        "events": len(events),
        "cores": os.cpu_count(),
        "load_avg_1m": round(os.getloadavg()[0], 2),
        "load_seconds": round(load_s, 1),
        "funnels_full_load_s": round(funnels_full, 3),
        "funnels_full_load_queries_cached_s": round(funnels_full_cached, 3),
        "page_first_load_s": {k: round(v, 3) for k, v in first.items()},
        "page_cached_load_s": {k: round(v, 3) for k, v in cached.items()},
        "page_queries_direct_s": {k: round(v, 3) for k, v in direct.items()},
        "page_queries_direct_first_s": {k: round(v, 3) for k, v in cold_direct.items()},
        "first_load_over_queries": {k: round(first[k] / direct[k], 2) for k in MAIN_CONTENT if direct[k]},
        "cached_load_over_queries": {k: round(cached[k] / direct[k], 2) for k in MAIN_CONTENT if direct[k]},
    }
    sys.stdout.write(orjson.dumps(report).decode() + "\n")


if __name__ == "__main__":
    main()
