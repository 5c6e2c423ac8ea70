"""Serve the collector with gunicorn (gthread workers) from Python, no shell strings.

Threads matter here: requests in one worker share fsyncs through the segment writer's
group commit. Abandoned segments of a previous run are published before any worker
starts, and again by each new worker for whatever a crashed sibling left.
"""

from __future__ import annotations

import logging
import os
import shutil
import sys
from pathlib import Path
from typing import Any

from gunicorn.app.base import BaseApplication

from core.config import Settings
from core.credentials import backend_key
from ingest.segments import recover_orphans

logger = logging.getLogger(__name__)


class _Gunicorn(BaseApplication):  # type: ignore[misc]
    def __init__(self, options: dict[str, Any], make_app: Any) -> None:
        self._options = options
        self._make_app = make_app
        super().__init__()

    def load_config(self) -> None:
        for key, value in self._options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        return self._make_app()


def _child_exit(_server: Any, worker: Any) -> None:
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def run_collector(
    settings: Settings,
    host: str,
    port: int,
    log_dir: Path,
    quarantine_dir: Path,
    workers: int = 2,
    threads: int = 8,
    roll_seconds: float = 1.0,
) -> None:
    """Serve until SIGTERM/SIGINT. Segments are published at most ``roll_seconds`` after their first write."""
    metrics_dir = settings.home / "collector-metrics"
    shutil.rmtree(metrics_dir, ignore_errors=True)
    metrics_dir.mkdir(parents=True)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir)  # before prometheus_client is imported
    for directory in (log_dir, quarantine_dir):
        directory.mkdir(parents=True, exist_ok=True)
        recover_orphans(directory)
    backend_key(settings)  # fail here, not in every worker, if the key file is unusable

    def make_app() -> Any:
        from ingest.app import create_app

        return create_app(settings, log_dir=log_dir, quarantine_dir=quarantine_dir, max_age_s=roll_seconds)

    options = {
        "bind": f"{host}:{port}",
        "workers": workers,
        "threads": threads,
        "worker_class": "gthread",
        "keepalive": 30,
        "graceful_timeout": 10,
        "accesslog": None,
        "loglevel": "warning",
        "child_exit": _child_exit,
        "proc_name": "touchstream-collector",
    }
    _Gunicorn(options, make_app).run()


def collector_command(port: int, log_dir: Path, quarantine_dir: Path, workers: int = 2, threads: int = 8) -> list[str]:
    """argv that starts the collector as a child process (tests, benchmarks, the stack)."""
    return [
        sys.executable,
        "-m",
        "touchstream",
        "collector",
        "--port",
        str(port),
        "--log-dir",
        str(log_dir),
        "--quarantine-dir",
        str(quarantine_dir),
        "--workers",
        str(workers),
        "--threads",
        str(threads),
    ]
