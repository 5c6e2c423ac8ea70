"""A running operator UI over a generated world: warehouse owner, Redis, ``touchstream ui`` and a
headless Chromium (Debian's /usr/bin/chromium through Playwright), all started and stopped here."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.clock import DAY_MS
from core.config import Settings
from core.processes import free_port, stop_process_group, wait_until
from flink_jobs.outputs import tag_change_row
from funnel_ui.launcher import healthy
from tests.fixtures.redis import redis_client, redis_socket, redis_url  # noqa: F401 - fixtures
from tests.warehouse.conftest import running_owner
from touchstream.traffic.generate import generate_world
from warehouse.connect import connect
from warehouse.migrations import migrate
from warehouse.sources import insert_events

CHROMIUM = "/usr/bin/chromium"
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
PASSWORD = "ui-test-password-0123"
WORLD = {"users": 1500, "days": 4, "seed": 3}
HOSTILE_BROWSERS = [
    "<img src=x onerror=window.__xss=1>",
    "[click](javascript:window.__xss=2)",
    "![beacon](http://127.0.0.1:9/beacon.png)",
    "$\\alert{x}$ **bold** <script>window.__xss=3</script>",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


def world_events() -> list[dict]:
    """The generated world (ending at the start of today), plus plan_upgrade entries whose browser
    is hostile text, as a client could send."""
    events = [e | {"received_at": e["ts"]} for e in generate_world(**WORLD)]
    first = next(e for e in events if e["event"] == "flow_step" and e["props"].get("flow") == "plan_upgrade")
    for k, browser in enumerate(HOSTILE_BROWSERS):
        events.append(first | {"event_id": f"hostile-{k}", "user_id": f"hostile-user-{k}", "ua_browser": browser})
    return events


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


@pytest.fixture(scope="module")
def ui_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A home whose embedded warehouse holds the world (loaded before any owner opens it)."""
    home = tmp_path_factory.mktemp("ui") / "home"
    events = world_events()
    with connect(f"chdb://{home / 'warehouse'}") as wh:
        migrate(wh)
        insert_events(wh, events)
        wh.insert("tag_changes_raw", tag_changes(events))
    return home


@pytest.fixture(scope="module")
def ui(ui_home: Path, redis_socket: Path) -> Iterator[Settings]:  # noqa: F811 - fixture
    """``touchstream ui`` on a free port next to a running warehouse owner (the ``make run`` path)."""
    with running_owner(ui_home, sql_max_execution_s=60, sql_max_result_rows=100_000) as owner:
        settings = owner.with_overrides(ui_port=free_port(), ui_password=PASSWORD, redis_url=f"unix://{redis_socket}")
        log = (ui_home / "ui.log").open("wb")
        process = subprocess.Popen(
            [sys.executable, "-m", "touchstream", "ui"],
            env={**os.environ, **settings.to_env()},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            wait_until(lambda: healthy(settings) or process.poll() is not None, 120, "the UI to answer")
            assert process.poll() is None, (ui_home / "ui.log").read_text()
            yield settings
        finally:
            stop_process_group(process.pid)
            log.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def screenshots(tmp_path: Path) -> Iterator[Path]:
    """Screenshots go under the test's tmp_path, then are copied to var/screenshots/ to look at."""
    folder = tmp_path / "screenshots"
    folder.mkdir()
    yield folder
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for shot in folder.glob("*.png"):
        shutil.copy2(shot, SCREENSHOTS / shot.name)
