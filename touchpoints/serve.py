"""Serve the touchpoint service with gunicorn (gthread workers), configured from Python.

Before any worker starts, the master checks the definition files (a bad file stops the
start with its name), loads the shipped campaigns into the store (kept if an operator
changed them), and makes sure the admin token exists. Each worker then builds its own app
(touchpoints/app.py).
"""

from __future__ import annotations

import gc
import logging
import sys
from typing import Any

import redis

from core.config import Settings
from core.credentials import secret
from core.serving import GunicornApplication, mark_worker_dead, prepare_metrics_dir

logger = logging.getLogger(__name__)


def load_definitions(settings: Settings) -> None:
    """Check the data files and load their campaigns into the store (Redis down: the workers
    load them on their first request that reaches Redis)."""
    from touchpoints.app import ADMIN_REDIS_TIMEOUT_S, definitions_dir, redis_url, service_client
    from touchpoints.definitions import DefinitionContext, load_file_campaigns, load_knowledge_base
    from touchpoints.store import CampaignStore

    directory = definitions_dir(settings)
    context = DefinitionContext.build(load_knowledge_base(directory))
    campaigns = load_file_campaigns(context, directory)
    client = service_client(redis_url(settings), ADMIN_REDIS_TIMEOUT_S)
    try:
        changed = CampaignStore(client).sync_files(campaigns)
        logger.info("definitions: %d campaigns in %s, %d loaded or updated", len(campaigns), directory, changed)
    except redis.RedisError as exc:
        logger.warning("could not load the campaigns into Redis now (%s); workers will when it answers", exc)
    finally:
        client.close()


def run_touchpoints(settings: Settings, host: str, port: int, workers: int, threads: int) -> None:
    """Serve until SIGTERM/SIGINT."""
    prepare_metrics_dir(settings.home / "touchpoints-metrics")  # before prometheus_client is imported
    settings.event_log.mkdir(parents=True, exist_ok=True)
    secret(settings.touchpoints_admin_token, settings.touchpoints_admin_token_file)
    load_definitions(settings)

    def make_app() -> Any:
        from touchpoints.app import create_app

        app = create_app(settings)
        # what the worker built to serve (modules, campaigns, compiled audiences) lives as long as
        # the worker: out of the collector's way, a full collection no longer walks all of it
        gc.freeze()
        return app

    GunicornApplication(gunicorn_options(host, port, workers, threads), make_app).run()


def gunicorn_options(host: str, port: int, workers: int, threads: int) -> dict[str, Any]:
    """The server settings (the benchmark serves its baselines with the same ones)."""
    return {
        "bind": f"{host}:{port}",
        "workers": workers,
        "threads": threads,
        "worker_class": "gthread",
        "keepalive": 30,
        "limit_request_line": 8190,  # gunicorn's maximum; longer lines get its 414 (documented)
        "graceful_timeout": 10,
        "accesslog": None,
        "loglevel": "warning",
        "child_exit": mark_worker_dead,
        "proc_name": "touchstream-touchpoints",
    }


def touchpoints_command(port: int, workers: int = 2, threads: int = 4) -> list[str]:
    """argv that starts the service as a child process (tests, benchmarks, the stack)."""
    return [
        sys.executable,
        "-m",
        "touchstream",
        "touchpoints",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--threads",
        str(threads),
    ]
