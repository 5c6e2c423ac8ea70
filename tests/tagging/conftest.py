"""Fixtures for the tagging tests (the Redis ones come from tests/fixtures/redis.py)."""

from __future__ import annotations

import pytest

from tagging.catalogue import TagCatalogue, default_tag_catalogue
from tagging.engine import TagEngine
from tests.fixtures.redis import redis_client, redis_socket, redis_url  # noqa: F401 - fixtures


@pytest.fixture(scope="session")
def catalogue() -> TagCatalogue:
    return default_tag_catalogue()


@pytest.fixture
def engine(catalogue: TagCatalogue) -> TagEngine:
    return TagEngine(catalogue)
