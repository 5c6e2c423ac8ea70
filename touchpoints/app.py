"""The touchpoint service's Flask application: factory, one public and one admin blueprint.

Each gunicorn worker builds its own app: its Redis client (short timeouts), its campaign
set (starting from the data files, following the store), its circuit breaker and its
decision-log writer thread.
"""

from __future__ import annotations

import atexit
import logging
from pathlib import Path
from zoneinfo import ZoneInfo

import redis
from flask import Flask

from core.config import Settings
from core.credentials import secret
from tagging.profiles import ensure_embedded
from tagging.profiles.keys import DEFAULT_PREFIX
from touchpoints import metrics
from touchpoints.admin import admin
from touchpoints.api import Touchpoints, public
from touchpoints.breaker import CircuitBreaker
from touchpoints.catalog import Compiler
from touchpoints.decision_log import DecisionLog
from touchpoints.definitions import DEFINITIONS_DIR, DefinitionContext, load_file_campaigns, load_knowledge_base
from touchpoints.errors import register_error_handlers
from touchpoints.live import LiveCampaigns
from touchpoints.openapi import build_openapi
from touchpoints.service import DecisionService, ServiceConfig
from touchpoints.store import CampaignStore

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 256 * 1024


ADMIN_REDIS_TIMEOUT_S = 5.0


def redis_url(settings: Settings) -> str:
    """The configured Redis, or this home's embedded one (started here if it is not running:
    once, at start; a worker never starts Redis while it serves)."""
    return settings.redis_url or f"unix://{ensure_embedded(settings)}"


def service_client(url: str, timeout: float, single_connection: bool = False) -> redis.Redis:
    """A Redis client whose every call gives up after ``timeout`` s: for decisions, a slow
    Redis must turn into a degraded answer, not a slow one."""
    return redis.Redis.from_url(
        url,
        socket_timeout=timeout,
        socket_connect_timeout=timeout,
        health_check_interval=0,
        single_connection_client=single_connection,
    )


def definitions_dir(settings: Settings) -> Path:
    return settings.touchpoints_definitions or DEFINITIONS_DIR


def create_app(settings: Settings, *, decision_log: bool = True, prefix: str = DEFAULT_PREFIX) -> Flask:
    directory = definitions_dir(settings)
    context = DefinitionContext.build(load_knowledge_base(directory))
    url = redis_url(settings)
    timeout = settings.touchpoints_redis_timeout_ms / 1000
    client = service_client(url, timeout)
    live = LiveCampaigns(CampaignStore(client, prefix), Compiler(context), load_file_campaigns(context, directory))
    log = DecisionLog(settings.event_log, on_drop=metrics.LOG_DROPPED.inc) if decision_log else None
    if log is not None:
        atexit.register(log.close)
    service = DecisionService(
        lambda: service_client(url, timeout, single_connection=True),
        live,
        context.knowledge_base,
        ServiceConfig(
            prefix=prefix,
            zone=ZoneInfo(settings.touchpoints_timezone),
            budget_s=settings.touchpoints_budget_ms / 1000,
            marketing_cap_month=settings.touchpoints_marketing_cap_month,
        ),
        CircuitBreaker(settings.touchpoints_breaker_failures, settings.touchpoints_breaker_reset_ms / 1000),
        log,
    )
    app = Flask("touchstream-touchpoints")
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.extensions["touchpoints"] = Touchpoints(
        service=service,
        store=CampaignStore(service_client(url, ADMIN_REDIS_TIMEOUT_S), prefix),  # the admin API may wait
        context=context,
        admin_token=secret(settings.touchpoints_admin_token, settings.touchpoints_admin_token_file),
        default_zone=ZoneInfo(settings.touchpoints_timezone),
        openapi=build_openapi(context),
    )
    app.register_blueprint(public)
    app.register_blueprint(admin)
    register_error_handlers(app)
    return app
