"""Fixtures of the touchpoint tests; the Redis ones come from tests/fixtures/redis.py."""

from __future__ import annotations

import pytest

from tests.fixtures.redis import redis_client, redis_socket, redis_url  # noqa: F401 - fixtures
from touchpoints.definitions import DefinitionContext, load_knowledge_base


@pytest.fixture(scope="session")
def context() -> DefinitionContext:
    return DefinitionContext.build(load_knowledge_base())
