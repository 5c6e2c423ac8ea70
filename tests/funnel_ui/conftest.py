"""A running operator UI over a generated world: warehouse owner, Redis, ``touchstream ui`` and a
headless Chromium (Debian's /usr/bin/chromium through Playwright), all started and stopped here."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.config import Settings
from core.processes import free_port
from tests.fixtures.redis import redis_client, redis_socket, redis_url  # noqa: F401 - fixtures
from tests.funnel_ui.harness import chromium, running_ui, tag_changes
from tests.warehouse.conftest import running_owner
from touchstream.traffic.generate import generate_world
from warehouse.connect import connect
from warehouse.migrations import migrate
from warehouse.sources import insert_events

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
        with running_ui(settings, ui_home / "ui.log"):
            yield settings


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with chromium() as launched:
        yield launched


@pytest.fixture
def screenshots(tmp_path: Path) -> Iterator[Path]:
    """Screenshots go under the test's tmp_path, then are copied to var/screenshots/ to look at."""
    folder = tmp_path / "screenshots"
    folder.mkdir()
    yield folder
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for shot in folder.glob("*.png"):
        shutil.copy2(shot, SCREENSHOTS / shot.name)
