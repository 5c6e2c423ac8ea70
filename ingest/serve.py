"""Serve the collector with gunicorn (gthread workers) from Python, no shell strings.

Threads matter here: requests in one worker share fsyncs through the segment writer's
group commit. Abandoned segments of a previous run are published before any worker
starts, and again by each new worker for whatever a crashed sibling left.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Any

from core.config import Settings
from core.credentials import backend_key
from core.serving import GunicornApplication, mark_worker_dead, prepare_metrics_dir
from ingest.segments import recover_orphans

logger = logging.getLogger(__name__)


def run_collector(
    settings: Settings,
    host: str,
    port: int,
    log_dir: Path,
    quarantine_dir: Path,
    workers: int = 2,
    threads: int = 8,
    roll_seconds: float = 0.5,
) -> None:
    """Serve until SIGTERM/SIGINT. Segments are published at most ``roll_seconds`` after their first write."""
    prepare_metrics_dir(settings.home / "collector-metrics")  # before prometheus_client is imported
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
        "child_exit": mark_worker_dead,
        "proc_name": "touchstream-collector",
    }
    GunicornApplication(options, make_app).run()


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
