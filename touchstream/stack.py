"""Run the whole stack on one machine: each service a child process, stopped by PID.

``touchstream run`` is what ``make run`` calls. Services are started as
``python -m touchstream <service>`` in their own process groups so one Ctrl-C (or a crash
of this supervisor) never leaves an orphan behind, and each logs to
``$TOUCHSTREAM_HOME/logs/<service>.log``.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import requests
from rich.console import Console
from rich.text import Text

from core.config import Settings
from core.processes import stop_process_group, wait_until
from touchstream.render import error_line, result_table
from touchstream.traffic.live import LiveReplay

logger = logging.getLogger(__name__)
console = Console()


@dataclass
class Service:
    """One child process of the stack and how to tell that it is ready."""

    name: str
    args: list[str]
    ready: Callable[[], bool]
    stop_timeout: float = 20.0  # the pipeline takes a savepoint on SIGTERM: give it time
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    def start(self, settings: Settings) -> None:
        logs = settings.home / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        log = open(logs / f"{self.name}.log", "ab")  # noqa: SIM115 - handed to the child
        env = {**os.environ, **settings.to_env()}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "touchstream", *self.args],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )
        log.close()

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self) -> None:
        """SIGTERM the service's process group, SIGKILL it if it lingers."""
        if self.process is not None:
            stop_process_group(self.process.pid, timeout=self.stop_timeout)


def _http_ok(url: str) -> Callable[[], bool]:
    def check() -> bool:
        try:
            return requests.get(url, timeout=1).status_code == 200
        except requests.RequestException:
            return False

    return check


def stack_services(settings: Settings) -> list[Service]:
    """The services of the embedded stack, in start order."""
    return [
        Service("warehouse", ["warehouse"], ready=settings.warehouse_owner_file.exists),
        Service("pipeline", ["pipeline"], ready=settings.pipeline_running_file.exists, stop_timeout=90),
        Service("collector", ["collector"], ready=_http_ok(f"{settings.collector_url}/healthz")),
        Service("touchpoints", ["touchpoints"], ready=_http_ok(f"{settings.touchpoints_url}/healthz")),
        Service("ui", ["ui"], ready=_http_ok(f"{settings.ui_url}/_stcore/health")),
    ]


def _ui_line(settings: Settings) -> str:
    from funnel_ui.launcher import password_source

    return f"operator UI at {settings.ui_url}: user {settings.ui_user!r}, password in {password_source(settings)}"


def wait_ready(service: Service, timeout: float = 240.0) -> None:
    def ready() -> bool:
        if not service.alive():
            raise RuntimeError(f"{service.name} exited; see its log under logs/{service.name}.log")
        return service.ready()

    wait_until(ready, timeout, f"{service.name} to be ready", interval=0.2)


def _interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


def _already_stopping(_signum: int, _frame: object) -> None:
    console.print("already stopping: each service gets SIGTERM, then SIGKILL if it lingers")


def run_stack(
    settings: Settings, *, demo: bool, users: int, days: int, seed: int, exit_after_demo: bool = False
) -> None:
    """Start every service, optionally replay demo traffic, then run until interrupted."""
    settings.home.mkdir(parents=True, exist_ok=True)
    services = stack_services(settings)
    signal.signal(signal.SIGTERM, _interrupt)  # stopped like Ctrl-C, in any phase (the demo too)
    live: LiveReplay | None = None
    embedded_redis = settings.redis_url is None
    try:
        if embedded_redis:
            from tagging.profiles import ensure_embedded

            console.print(f"embedded redis on {ensure_embedded(settings)}")
        for service in services:
            console.print(f"starting [bold]{service.name}[/bold] …")
            service.start(settings)
            wait_ready(service)
        console.print(f"stack up under {settings.home}; collector at {settings.collector_url}")
        if demo:
            live = _run_demo(settings, users=users, days=days, seed=seed)
        if exit_after_demo:
            return
        console.print(_ui_line(settings), markup=False, soft_wrap=True)
        console.print("running; Ctrl-C stops every service")
        while True:
            for service in services:
                if not service.alive():
                    raise RuntimeError(f"{service.name} died; see {settings.home}/logs/{service.name}.log")
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        # a second Ctrl-C must not abandon the services not stopped yet: each stop is bounded
        signal.signal(signal.SIGINT, _already_stopping)
        signal.signal(signal.SIGTERM, _already_stopping)
        if live is not None:
            live.stop()
        for service in reversed(services):
            if service.alive():
                console.print(f"stopping [bold]{service.name}[/bold] …")
            service.stop()
        if embedded_redis:
            from tagging.profiles import stop_embedded

            stop_embedded(settings)
        console.print("stack stopped")


def _run_demo(settings: Settings, *, users: int, days: int, seed: int) -> LiveReplay:
    """Import the world's history, wait until the warehouse holds it, then send today live."""
    from core.credentials import backend_key
    from touchstream.demo import DemoWorld, import_history, live_events
    from touchstream.traffic.live import LiveReplay

    world = DemoWorld(users, days, seed)
    console.print(f"demo world: {users} users, {days} days of history and today (seed {seed})")
    history = import_history(settings, world)
    console.print(f"imported {history.events} events of history in time order ({history.total} in this home)")
    _wait_loaded(settings, expected=history.total)
    _print_summary(settings)
    _print_tagged_user(settings)
    console.print("sending today's traffic live, as it happens")
    live = LiveReplay(
        live_events(world, settings, history.until_ms), settings.collector_url, backend_key(settings)
    ).start()
    _print_scenarios(settings, live_events(world, settings, -1))
    return live


def _print_scenarios(settings: Settings, world_events: Iterable[dict[str, Any]]) -> None:
    """Make every touchpoint scenario live for one generated user each and show the answers."""
    from touchstream.traffic.scenarios import run_scenarios

    console.print("touchpoint scenarios: posting fresh back-end events for one generated user each …")
    try:
        results = run_scenarios(settings, world_events)
    except Exception as exc:  # the stack keeps running without the showcase
        logger.exception("touchpoint scenarios failed")
        console.print(error_line(f"touchpoint scenarios failed: {exc}"))
        return
    rows = [(r.scenario, r.user, ", ".join(r.campaigns) or "-", "yes" if r.ok else "NO") for r in results]
    console.print(result_table(("scenario", "user", "campaigns shown (app page)", "ok"), rows, "touchpoint decisions"))
    for r in results:
        console.print(Text(f"curl -s '{r.url}'"), soft_wrap=True)


def _wait_loaded(settings: Settings, expected: int, timeout: float = 600.0) -> None:
    """Poll the warehouse until the accepted events are queryable: collector -> event log -> stream
    job (deduplicated, exactly once) -> loader -> ``events``."""
    from warehouse.client import run_query

    count = 0

    def loaded() -> bool:
        nonlocal count
        count = int(run_query(settings, "SELECT count() FROM events").scalar())
        return count >= expected

    wait_until(loaded, timeout, f"the warehouse to hold {expected} events", interval=1.0)
    console.print(f"warehouse holds {count} events")


def _print_tagged_user(settings: Settings) -> None:
    """Show one live profile: the user with the most tag changes so far."""
    from tagging.profiles import read_profile
    from warehouse.client import run_query

    rows = run_query(
        settings, "SELECT user_id, count() AS n FROM tag_changes GROUP BY user_id ORDER BY n DESC LIMIT 1"
    ).rows
    if not rows:
        console.print("no tag changes yet (tags follow the watermark: about the allowed lateness behind)")
        return
    user_id = rows[0][0]
    profile = read_profile(settings, user_id)
    console.print(f"live profile of {user_id} (touchstream tags {user_id} --json):", markup=False)
    console.print(profile)


def _print_summary(settings: Settings) -> None:
    from warehouse.client import run_query

    result = run_query(settings, "SELECT channel, count() AS events FROM events GROUP BY channel ORDER BY channel")
    console.print(result_table(result.columns, result.rows, title="events by channel"))
    console.print('try: touchstream sql "SELECT event, count() FROM events GROUP BY event ORDER BY 2 DESC"')
