"""Run the real service (gunicorn, several workers) and a private redis-server in tests."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

from core.config import Settings
from core.processes import free_port, port_open, stop_process_group, wait_until
from tagging.profiles.embedded import start_server
from tests.touchpoints.conftest import ADMIN
from touchpoints.serve import touchpoints_command


@dataclass
class RedisServer:
    """A redis-server of the test's own, which the test may stop, freeze and restart."""

    directory: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def socket(self) -> Path:
        return self.directory / "redis.sock"

    @property
    def url(self) -> str:
        return f"unix://{self.socket}"

    def start(self) -> None:
        self.process = start_server(self.directory, self.socket)

    def stop(self) -> None:
        if self.process is not None:
            stop_process_group(self.process.pid)
            self.process = None


@contextmanager
def own_redis(directory: Path) -> Iterator[RedisServer]:
    server = RedisServer(directory)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@dataclass
class Service:
    url: str
    process: subprocess.Popen[bytes]

    def ask(self, user: str, slots: list[str], channel: str = "app", **params: Any) -> requests.Response:
        query = [("user_id", user), ("channel", channel), *(("slot", s) for s in slots), *params.items()]
        return requests.get(f"{self.url}/v1/touchpoints", params=query, timeout=10)

    def admin(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        return requests.request(method, f"{self.url}/v1/admin{path}", headers=ADMIN, timeout=10, **kwargs)


@contextmanager
def running_service(settings: Settings, workers: int = 2, threads: int = 4) -> Iterator[Service]:
    port = free_port()
    settings.home.mkdir(parents=True, exist_ok=True)
    log = (settings.home / "touchpoints.log").open("ab")
    process = subprocess.Popen(
        touchpoints_command(port, workers=workers, threads=threads),
        env={**os.environ, **settings.to_env()},
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: port_open(port) or process.poll() is not None, 60, "touchpoint service to listen")
        assert process.poll() is None, (settings.home / "touchpoints.log").read_text()[-3000:]
        yield Service(url, process)
    finally:
        stop_process_group(process.pid)
        log.close()
