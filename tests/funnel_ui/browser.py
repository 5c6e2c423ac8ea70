"""Driving the Streamlit app in Chromium: sign in, open a page, wait for a run to finish, take a
screenshot of the whole page. Every wait is bounded."""

from __future__ import annotations

import contextlib
import time
from pathlib import Path
from typing import Any

from core.config import Settings

WAIT_MS = 90_000
"""The longest any one page or action may take before a test fails (a loaded 2-core machine)."""

_SCRIPT_STATE = "() => document.querySelector('[data-testid=\"stApp\"]')?.getAttribute('data-test-script-state')"


def settle(page: Any, started_within_s: float = 1.5) -> None:
    """Wait for the app's current run (and any it triggers) to finish: notRunning three times in a row."""
    with contextlib.suppress(Exception):  # a quick run may be over before we look
        page.wait_for_function(f"() => ({_SCRIPT_STATE})() === 'running'", timeout=started_within_s * 1000)
    deadline = time.monotonic() + WAIT_MS / 1000
    calm = 0
    while calm < 3:
        assert time.monotonic() < deadline, "the app did not finish its run"
        calm = calm + 1 if page.evaluate(_SCRIPT_STATE) == "notRunning" else 0
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
