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
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import requests
from rich.console import Console
from rich.table import Table

from core.config import Settings
from core.processes import stop_process_group, wait_until

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
    ]


def wait_ready(service: Service, timeout: float = 240.0) -> None:
    def ready() -> bool:
        if not service.alive():
            raise RuntimeError(f"{service.name} exited; see its log under logs/{service.name}.log")
        return service.ready()

    wait_until(ready, timeout, f"{service.name} to be ready", interval=0.2)


def run_stack(
    settings: Settings, *, demo: bool, users: int, days: int, seed: int, exit_after_demo: bool = False
) -> None:
    """Start every service, optionally replay demo traffic, then run until interrupted."""
    settings.home.mkdir(parents=True, exist_ok=True)
    services = stack_services(settings)
    stopping = False

    def on_signal(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, on_signal)
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
            _run_demo(settings, users=users, days=days, seed=seed)
        if exit_after_demo:
            return
        console.print("running; Ctrl-C stops every service")
        while not stopping:
            for service in services:
                if not service.alive():
                    raise RuntimeError(f"{service.name} died; see {settings.home}/logs/{service.name}.log")
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        for service in reversed(services):
            service.stop()
        if embedded_redis:
            from tagging.profiles import stop_embedded

            stop_embedded(settings)
        console.print("stack stopped")


def _run_demo(settings: Settings, *, users: int, days: int, seed: int) -> None:
    from touchstream.traffic.generate import write_world
    from touchstream.traffic.send import send_file

    traffic = settings.home / "demo" / f"traffic-u{users}-d{days}-s{seed}.jsonl"
    if not traffic.exists():
        traffic.parent.mkdir(parents=True, exist_ok=True)
        console.print(f"generating demo traffic: {users} users x {days} days (seed {seed})")
        write_world(traffic, users=users, days=days, seed=seed)
    report = send_file(traffic, settings.collector_url)
    console.print(report)
    _wait_loaded(settings, expected=report.accepted)
    _print_summary(settings)
    _print_tagged_user(settings)
    _print_scenarios(settings, traffic)


def _print_scenarios(settings: Settings, traffic: Path) -> None:
    """Make every touchpoint scenario live for one generated user each and show the answers."""
    from touchstream.traffic.scenarios import run_scenarios

    console.print("touchpoint scenarios: posting fresh back-end events for one generated user each …")
    table = Table("scenario", "user", "campaigns shown (app page)", "ok", title="touchpoint decisions")
    results = run_scenarios(settings, traffic)
    for r in results:
        table.add_row(r.scenario, r.user, ", ".join(r.campaigns) or "-", "yes" if r.ok else "NO")
    console.print(table)
    for r in results:
        console.print(f"curl -s '{r.url}'", soft_wrap=True, highlight=False)


def _wait_loaded(settings: Settings, expected: int, timeout: float = 600.0) -> None:
    """Poll the warehouse until the accepted events are queryable, from the collector's log
    (``events``) and through the stream job's exactly-once output (``stream_events``)."""
    from warehouse.client import run_query

    counts = {"events": 0, "stream_events": 0}

    def loaded() -> bool:
        for table in counts:
            counts[table] = int(run_query(settings, f"SELECT count() FROM {table}").scalar())
        return min(counts.values()) >= expected

    wait_until(loaded, timeout, f"the warehouse to hold {expected} events", interval=1.0)
    console.print(f"warehouse holds {counts['events']} events; the stream job delivered {counts['stream_events']}")


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
    console.print(f"live profile of {user_id} (touchstream tags {user_id} --json):")
    console.print(profile)


def _print_summary(settings: Settings) -> None:
    from warehouse.client import run_query

    result = run_query(settings, "SELECT channel, count() AS events FROM events GROUP BY channel ORDER BY channel")
    table = Table(*result.columns, title="events by channel")
    for row in result.rows:
        table.add_row(*(str(v) for v in row))
    console.print(table)
    console.print('try: touchstream sql "SELECT event, count() FROM events GROUP BY event ORDER BY 2 DESC"')
