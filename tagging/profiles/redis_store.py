"""The profile store on Redis: conditional writes in Lua, sent through one pipeline per flush.

Idempotence comes from versions, not from luck: every tag keeps the ``(ts_ms, seq)`` of the
last change applied, and a change that is not newer is skipped, so a replay after a Flink
recovery (same changes, same seq) writes nothing twice and cannot resurrect a cleared tag.
The business state is written whole, only if its event time is not older than the stored one.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import orjson
import redis

from tagging.changes import TagChange
from tagging.profiles import keys
from tagging.profiles.base import Profile, ProfileStore, ProfileWriter
from tagging.state import BusinessState

logger = logging.getLogger(__name__)

# KEYS: tags hash, versions hash. ARGV: groups of (tag, "s"|"c", ts_ms, seq, expires_at or "",
# set_at or ""). Without a set_at (changes recorded before it existed) a refresh keeps the
# stored one.
APPLY_TAGS = """
local applied = 0
for i = 1, #ARGV, 6 do
  local tag, ts, seq = ARGV[i], tonumber(ARGV[i + 2]), tonumber(ARGV[i + 3])
  local v = redis.call('HGET', KEYS[2], tag)
  local newer = true
  if v then
    local sep = string.find(v, ':', 1, true)
    local vts, vseq = tonumber(string.sub(v, 1, sep - 1)), tonumber(string.sub(v, sep + 1))
    newer = ts > vts or (ts == vts and seq > vseq)
  end
  if newer then
    redis.call('HSET', KEYS[2], tag, ARGV[i + 2] .. ':' .. ARGV[i + 3])
    if ARGV[i + 1] == 's' then
      local set_at = ARGV[i + 5]
      if set_at == '' then
        set_at = ARGV[i + 2]
        local cur = redis.call('HGET', KEYS[1], tag)
        if cur then set_at = string.sub(cur, 1, string.find(cur, ':', 1, true) - 1) end
      end
      redis.call('HSET', KEYS[1], tag, set_at .. ':' .. ARGV[i + 4])
    else
      redis.call('HDEL', KEYS[1], tag)
    end
    applied = applied + 1
  end
end
return applied
"""

# KEYS: state hash. ARGV: version (event time), then field, JSON value pairs.
APPLY_STATE = """
local cur = tonumber(redis.call('HGET', KEYS[1], '_v') or '-1')
if tonumber(ARGV[1]) < cur then return 0 end
redis.call('HSET', KEYS[1], '_v', ARGV[1], unpack(ARGV, 2))
return 1
"""


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


class RedisProfileWriter(ProfileWriter):
    """Buffers updates; flushes with one non-transactional pipeline when ``max_pending`` is reached
    and whenever asked (the Flink tag step: every ``flush_interval_ms``, and at close; PyFlink gives
    Python functions no checkpoint hook, so flink_jobs/repair.py replays what a hard kill lost)."""

    def __init__(self, store: RedisProfileStore, max_pending: int = 1000) -> None:
        self.store = store
        self.max_pending = max_pending
        self._queue: dict[str, tuple[list[TagChange], list[dict[str, Any] | None]]] = {}
        self._pending = 0

    @property
    def pending(self) -> int:
        return self._pending

    def add(self, user_id: str, changes: Sequence[TagChange], business: BusinessState | None = None) -> None:
        queued, state = self._queue.setdefault(user_id, ([], [None]))
        queued.extend(changes)
        self._pending += len(changes)
        if business is not None:
            if state[0] is None:
                self._pending += 1
            state[0] = business.to_dict()  # a copy: the engine keeps mutating its state
        if self._pending >= self.max_pending:
            self.flush()

    def flush(self) -> int:
        if not self._queue:
            return 0
        store, prefix = self.store, self.store.prefix
        pipe = store.client.pipeline(transaction=False)
        for user_id, (changes, state) in self._queue.items():
            if changes:
                args: list[Any] = []
                for c in changes:
                    expires = "" if c.expires_at_ms is None else c.expires_at_ms
                    set_at = "" if c.set_at_ms is None else c.set_at_ms
                    args += [c.tag, "s" if c.action == "set" else "c", c.ts_ms, c.seq, expires, set_at]
                store.apply_tags(
                    keys=[keys.tags_key(prefix, user_id), keys.versions_key(prefix, user_id)],
                    args=args,
                    client=pipe,
                )
            if state[0] is not None:
                fields: list[Any] = [state[0]["updated_at"]]
                for name, value in state[0].items():
                    fields += [name, orjson.dumps(value)]
                store.apply_state(keys=[keys.state_key(prefix, user_id)], args=fields, client=pipe)
        users = len(self._queue)
        pipe.execute()
        logger.debug("flushed %d profile updates of %d users", self._pending, users)
        self._queue.clear()
        self._pending = 0
        return users


class RedisProfileStore(ProfileStore):
    """Profiles in one Redis database; ``prefix`` namespaces the keys (several stacks, one server)."""

    def __init__(self, client: redis.Redis, prefix: str = keys.DEFAULT_PREFIX) -> None:
        self.client = client
        self.prefix = prefix
        self.apply_tags = client.register_script(APPLY_TAGS)
        self.apply_state = client.register_script(APPLY_STATE)

    def writer(self, max_pending: int = 1000) -> RedisProfileWriter:
        return RedisProfileWriter(self, max_pending)

    def get_profile(self, user_id: str, now_ms: int | None = None) -> Profile:
        pipe = self.client.pipeline(transaction=False)
        pipe.hgetall(keys.tags_key(self.prefix, user_id))
        pipe.hgetall(keys.state_key(self.prefix, user_id))
        raw_tags, raw_state = pipe.execute()
        tags = []
        for tag, value in sorted((_text(k), _text(v)) for k, v in raw_tags.items()):
            set_at, _, expires = value.partition(":")
            expires_at = int(expires) if expires else None
            if now_ms is not None and expires_at is not None and expires_at <= now_ms:
                continue
            tags.append({"tag": tag, "set_at": int(set_at), "expires_at": expires_at})
        state = {_text(k): orjson.loads(v) for k, v in raw_state.items() if _text(k) != "_v"}
        return {"user_id": user_id, "tags": tags, "state": state}

    def increment_contact(self, user_id: str, campaign: str, slot: str, ts_ms: int) -> dict[str, int]:
        key, day = keys.contacts_key(self.prefix, user_id), keys.utc_day(ts_ms)
        fields = [f"c:{campaign}", f"s:{slot}", f"c:{campaign}:d:{day}", f"s:{slot}:d:{day}"]
        pipe = self.client.pipeline(transaction=True)
        for field in fields:
            pipe.hincrby(key, field, 1)
        pipe.hset(key, mapping={f"last:c:{campaign}": ts_ms, f"last:s:{slot}": ts_ms})
        counts = pipe.execute()[: len(fields)]
        return dict(zip(fields, counts, strict=True))

    def contacts(self, user_id: str) -> dict[str, int]:
        raw = self.client.hgetall(keys.contacts_key(self.prefix, user_id))
        return {_text(k): int(v) for k, v in raw.items()}

    def close(self) -> None:
        self.client.close()
