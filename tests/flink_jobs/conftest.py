"""Fixtures for the Flink job tests (Redis comes from tests/fixtures/redis.py)."""

from __future__ import annotations

from tests.fixtures.redis import redis_client, redis_socket, redis_url  # noqa: F401 - fixtures
