"""Live profiles (tags, business state, contact counters) behind one interface; Redis backend.

``connect(settings)`` gives a redis client for ``settings.redis_url``
(``redis://host:port/db``, ``unix:///path.sock``) or, when it is None, for the embedded
server of this ``TOUCHSTREAM_HOME`` (see :mod:`tagging.profiles.embedded`).
"""

from __future__ import annotations

import redis

from core.config import Settings
from tagging.profiles.base import Profile, ProfileStore, ProfileWriter
from tagging.profiles.embedded import ensure_embedded, redis_for, stop_embedded
from tagging.profiles.redis_store import RedisProfileStore, RedisProfileWriter

__all__ = [
    "Profile",
    "ProfileStore",
    "ProfileWriter",
    "RedisProfileStore",
    "RedisProfileWriter",
    "connect",
    "ensure_embedded",
    "open_store",
    "read_profile",
    "redis_for",
    "stop_embedded",
]


def connect(settings: Settings) -> redis.Redis:
    """A Redis client for the configured server, starting the embedded one if needed."""
    if settings.redis_url:
        return redis.Redis.from_url(settings.redis_url)
    return redis.Redis(unix_socket_path=str(ensure_embedded(settings)))


def open_store(settings: Settings) -> RedisProfileStore:
    return RedisProfileStore(connect(settings))


def read_profile(settings: Settings, user_id: str, now_ms: int | None = None) -> Profile:
    """One user's profile (``touchstream tags USER_ID``). An embedded server that is not running
    is started for the read (its db file holds the last run's profiles) and stopped again."""
    with redis_for(settings) as url:
        store = RedisProfileStore(redis.Redis.from_url(url))
        try:
            return store.get_profile(user_id, now_ms)
        finally:
            store.close()
