"""Driving the operator UI in tests and benchmarks: run ``touchstream ui``, launch Chromium, sign
in, open a page, wait for a run to finish, take a screenshot of the whole page. Every wait is
bounded and everything started is stopped."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from core.clock import DAY_MS
from core.config import Settings
from core.processes import stop_process_group, wait_until
from flink_jobs.outputs import tag_change_row
from funnel_ui.launcher import healthy

CHROMIUM = "/usr/bin/chromium"
"""Debian's package (scripts/bootstrap.sh --test); Playwright downloads no browser of its own."""
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WAIT_MS = 90_000
"""The longest any one page or action may take before a test fails (a loaded 2-core machine)."""

SCRIPT_STATE = "() => document.querySelector('[data-testid=\"stApp\"]')?.getAttribute('data-test-script-state')"


def tag_changes(events: list[dict]) -> list[dict]:
    """Tag history for the Tags page: a browser tag for users who viewed a plan page, an orderer
    tag for those who ordered (not the tag engine's rules, only rows to show)."""
    rows, seen = [], set()
    for e in events:
        tag = {"page_view": "browser:plan", "order_success": "orderer:plan"}.get(e["event"])
        if tag and (e["user_id"], tag) not in seen:
            seen.add((e["user_id"], tag))
            change = {"user_id": e["user_id"], "tag": tag, "action": "set", "ts_ms": e["ts"], "seq": len(seen)}
            rows.append(tag_change_row(change | {"expires_at_ms": e["ts"] + 30 * DAY_MS}))
    return rows


@contextlib.contextmanager
def running_ui(settings: Settings, log: Path) -> Iterator[Settings]:
    """``touchstream ui`` with ``settings`` (its port, password, warehouse and Redis) until the block ends."""
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "touchstream", "ui"],
            env={**os.environ, **settings.to_env()},
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_until(lambda: healthy(settings) or process.poll() is not None, 120, "the UI to answer")
        assert process.poll() is None, log.read_text()
        yield settings
    finally:
        stop_process_group(process.pid)


@contextlib.contextmanager
def chromium() -> Iterator[Any]:
    """A headless Chromium for the duration of the block (Playwright's driver, Debian's browser)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


def settle(page: Any, started_within_s: float = 1.5) -> None:
    """Wait for the app's current run (and any it triggers) to finish: notRunning three times in a row."""
    with contextlib.suppress(Exception):  # a quick run may be over before we look
        page.wait_for_function(f"() => ({SCRIPT_STATE})() === 'running'", timeout=started_within_s * 1000)
    deadline = time.monotonic() + WAIT_MS / 1000
    calm = 0
    while calm < 3:
        assert time.monotonic() < deadline, "the app did not finish its run"
        calm = calm + 1 if page.evaluate(SCRIPT_STATE) == "notRunning" else 0
        time.sleep(0.25)


def sign_in(browser: Any, settings: Settings, user: str, password: str, path: str = "") -> Any:
    """A fresh browser context (its own Streamlit session) at ``path``, signed in (or refused)."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    context.set_default_timeout(WAIT_MS)
    page = context.new_page()
    page.goto(f"{settings.ui_url}/{path}")
    page.get_by_label("User").fill(user)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()
    settle(page)
    return page


def open_page(page: Any, title: str) -> None:
    page.get_by_role("link", name=title, exact=True).click()
    page.get_by_role("heading", name=title, level=1).wait_for()
    settle(page)


def choose(page: Any, label: str, option: str, attempts: int = 3) -> None:
    """Pick ``option`` in the select box labelled ``label`` (its list opens on a click, which a
    rerun in flight can swallow: tried again, a bounded number of times)."""
    box = page.locator('[data-testid="stSelectbox"]').filter(has_text=label)
    wanted = page.get_by_role("option", name=option, exact=True)
    for attempt in range(attempts):
        settle(page)
        box.click()
        try:
            wanted.wait_for(timeout=10_000)
        except Exception:
            if attempt == attempts - 1:
                raise
            page.keyboard.press("Escape")
            continue
        wanted.click()
        settle(page)
        return


def screenshot(page: Any, path: Path) -> None:
    """The whole page: Streamlit scrolls inside its main block, so the viewport grows to fit it."""
    height = page.evaluate("() => document.querySelector('[data-testid=\"stMain\"]')?.scrollHeight ?? 1000")
    page.set_viewport_size({"width": 1400, "height": min(int(height) + 60, 12_000)})
    page.wait_for_timeout(1500)  # plotly redraws at the new size
    page.screenshot(path=str(path))
    page.set_viewport_size({"width": 1400, "height": 1000})


def table_rows(page: Any, index: int = 0) -> list[list[str]]:
    """The body cells of the ``index``-th st.table on the page, as text."""
    table = page.locator('[data-testid="stTableStyledTable"]').nth(index)
    table.locator("tbody tr").first.wait_for()
    settle(page)
    return [[cell.inner_text().strip() for cell in row.locator("td").all()] for row in table.locator("tbody tr").all()]
