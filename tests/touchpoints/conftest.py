"""Fixtures of the touchpoint tests; the Redis ones come from tests/fixtures/redis.py."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient

from core.clock import now_ms
from core.config import Settings, load_settings
from tagging.changes import TagChange
from tagging.profiles import RedisProfileStore
from tagging.state import BusinessState
from tests.fixtures.redis import redis_client, redis_socket, redis_url  # noqa: F401 - fixtures
from touchpoints.definitions import DefinitionContext, load_knowledge_base

ADMIN_TOKEN = "test-admin-token-0123456789"
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}", "X-Operator": "alice"}


@pytest.fixture(scope="session")
def context() -> DefinitionContext:
    return DefinitionContext.build(load_knowledge_base())


def service_settings(home: Path, url: str, **overrides: Any) -> Settings:
    """Generous Redis timeouts unless a test asks otherwise: this machine's 2 cores are shared,
    and a decision that times out answers degraded, which is not what most tests look at."""
    options: dict[str, Any] = {"touchpoints_redis_timeout_ms": 2000, "touchpoints_budget_ms": 5000, **overrides}
    return load_settings(env={}, home=home, redis_url=url, touchpoints_admin_token=ADMIN_TOKEN, **options)


@pytest.fixture
def settings(tmp_path: Path, redis_url: str, redis_client: redis.Redis) -> Settings:  # noqa: F811
    """Settings on the test Redis (emptied for each test) under a fresh home."""
    return service_settings(tmp_path / "home", redis_url)


@pytest.fixture
def app(settings: Settings) -> Iterator[Flask]:
    from touchpoints.app import create_app

    application = create_app(settings)
    try:
        yield application
    finally:
        log = application.extensions["touchpoints"].service.log
        if log is not None:
            log.close()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


class Profiles:
    """Writes live profiles exactly as the stream job does (tagging.profiles.RedisProfileStore)."""

    def __init__(self, client: redis.Redis) -> None:
        self.store = RedisProfileStore(client)

    def put(self, user_id: str, tags: tuple[str, ...] = (), **state: Any) -> None:
        now = now_ms()
        changes = [
            TagChange(user_id, tag, "set", now - 1000, now + 86_400_000, i + 1, now - 1000)
            for i, tag in enumerate(tags)
        ]
        self.store.apply(user_id, changes, BusinessState(**state, updated_at=now))


@pytest.fixture
def profiles(redis_client: redis.Redis) -> Profiles:  # noqa: F811
    return Profiles(redis_client)
