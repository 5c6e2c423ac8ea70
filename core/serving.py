"""Serving a Flask app under gunicorn from Python, with multiprocess Prometheus metrics.

Shared by the collector and the touchpoint service: gunicorn is configured from a dict (no
shell strings, no config file), each worker builds its own app (``make_app``), and a
worker's metric files are marked dead when it exits so ``/metrics`` aggregates the living.
``prepare_metrics_dir`` must run before ``prometheus_client`` is imported anywhere in the
process, because the library picks its mode at import.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from gunicorn.app.base import BaseApplication


class GunicornApplication(BaseApplication):  # type: ignore[misc]
    """gunicorn configured from ``options`` (gunicorn setting names), serving ``make_app()``."""

    def __init__(self, options: dict[str, Any], make_app: Callable[[], Any]) -> None:
        self._options = options
        self._make_app = make_app
        super().__init__()

    def load_config(self) -> None:
        for key, value in self._options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        return self._make_app()


def mark_worker_dead(_server: Any, worker: Any) -> None:
    """gunicorn ``child_exit`` hook: drop the exited worker's live gauges from the metrics."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def prepare_metrics_dir(directory: Path) -> None:
    """An empty multiprocess metrics directory, announced to prometheus_client through the env."""
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(directory)


def render_metrics() -> bytes:
    """The Prometheus text format: all workers' metrics under gunicorn, this process's otherwise."""
    from prometheus_client import CollectorRegistry, generate_latest, multiprocess

    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry)
    return generate_latest()
