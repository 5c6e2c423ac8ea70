"""What one decision reads from Redis, in one round trip, and the worker's live campaign set.

:class:`SnapshotReader` reads the profile (tags, business state), the contact counters of
the current day/week/month and the store's version counter with one script call. :class:`LiveCampaigns`
compares that version with the one its campaign set was built from and reloads (under a
lock, once per change and worker) only when they differ.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import redis

from tagging.profiles import keys as profile_keys
from tagging.profiles.contacts import ContactKeys, Counters
from tagging.profiles.scripts import run_script
from touchpoints.catalog import CampaignSet, Compiler
from touchpoints.definitions import FileCampaign
from touchpoints.facts import Facts, build_facts
from touchpoints.store import CampaignStore, parse_slots

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Snapshot:
    facts: Facts
    counters: Counters
    version: int | None  # the campaign store's version (None: never loaded)


# KEYS: tags, state, the four counter hashes (ContactKeys), the store's version. One command
# instead of a pipeline of seven: per command, the client's cost dominates a decision's Redis
# time. (On a Redis Cluster the version, in another slot, would need a command of its own.)
READ = """
local out = {}
for i = 1, 6 do out[i] = redis.call('HGETALL', KEYS[i]) end
out[7] = redis.call('GET', KEYS[7]) or ''
return out
"""


def _pairs(flat: list[Any]) -> dict[Any, Any]:
    return dict(zip(flat[::2], flat[1::2], strict=True))


class SnapshotReader:
    """Reads what one decision needs in one round trip (the script is registered once)."""

    def __init__(self, client: redis.Redis, prefix: str, version_key: str) -> None:
        self.script = client.register_script(READ)
        self.prefix = prefix
        self.version_key = version_key

    def read(self, client: redis.Redis, user_id: str, contacts: ContactKeys, now_ms: int, today: dt.date) -> Snapshot:
        keys = [
            profile_keys.tags_key(self.prefix, user_id),
            profile_keys.state_key(self.prefix, user_id),
            contacts.day,
            contacts.week,
            contacts.month,
            contacts.life,
            self.version_key,
        ]
        tags, state, day, week, month, life, version = run_script(self.script, client, keys)
        return Snapshot(
            build_facts(_pairs(tags), _pairs(state), now_ms, today),
            Counters.from_hashes(_pairs(day), _pairs(week), _pairs(month), _pairs(life)),
            int(version) if version else None,
        )


class LiveCampaigns:
    """The campaign set this worker serves; starts from the data files (so degraded mode has
    the default recommendations even if Redis never answered) and follows the store."""

    def __init__(self, store: CampaignStore, compiler: Compiler, file_campaigns: Sequence[FileCampaign]) -> None:
        self.store = store
        self.compiler = compiler
        self.file_campaigns = list(file_campaigns)
        self._lock = threading.Lock()
        self._set = compiler.build(-1, [(f.campaign.id, 0, f.campaign) for f in self.file_campaigns], {})

    @property
    def current(self) -> CampaignSet:
        return self._set

    def refresh(self, version: int | None) -> CampaignSet:
        """The set for store ``version``; reloads if it moved. Raises RedisError if Redis fails."""
        if version is not None and version == self._set.version:
            return self._set
        with self._lock:
            if version is not None and version == self._set.version:
                return self._set  # another thread reloaded meanwhile
            loaded, campaigns, slots = self.store.snapshot()
            if not campaigns and self.file_campaigns:
                # a new or wiped store (campaigns are archived, never deleted): load the data files
                self.store.sync_files(self.file_campaigns)
                loaded, campaigns, slots = self.store.snapshot()
            definitions = [(c.id, c.revision, c.body) for c in campaigns]
            self._set = self.compiler.build(loaded if loaded is not None else -1, definitions, parse_slots(slots))
            logger.info("serving campaign store version %s: %d campaigns", loaded, len(self._set.campaigns))
            return self._set
