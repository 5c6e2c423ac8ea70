"""Campaigns and slot settings in Redis, with a version counter and an audit log.

Every worker of every process checks the version counter on each request (one ``GET``
pipelined with the profile read), so an admin change is served on the next request
everywhere, without a restart. A change is one Lua script: compare the revision the
writer read, store the new document, bump the version, append the audit entry (who, from
where, when, before and after), all or nothing.

| key | type | content |
|---|---|---|
| ``<p>:{tp}:campaigns`` | hash | campaign id -> stored document (JSON) |
| ``<p>:{tp}:slots`` | hash | slot id -> stored slot settings, with the definition of a created slot (JSON) |
| ``<p>:{tp}:version`` | string | bumped by every change |
| ``<p>:{tp}:audit`` | stream | one entry (field ``entry``, JSON) per change, newest last, ~100k kept |
| ``<p>:{tp}:exempt`` | set | campaigns exempt from the marketing cap (for counting exposures) |
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

import orjson
import redis

from core.clock import now_ms
from tagging.profiles.contacts import exempt_key
from tagging.profiles.keys import DEFAULT_PREFIX
from touchpoints.definitions import FileCampaign
from touchpoints.model import Campaign, Status, StoredSlot

logger = logging.getLogger(__name__)

AUDIT_MAX_ENTRIES = 100_000
ADMIN_ORIGIN = "admin"

# KEYS: hash, version, audit stream, exempt set. ARGV: id, document, expected revision
# ('' = any), audit entry, exempt flag ('1' add, '0' remove, '' leave), audit length.
SAVE = """
local cur = redis.call('HGET', KEYS[1], ARGV[1])
local rev = 0
if cur then rev = cjson.decode(cur)['revision'] end
if ARGV[3] ~= '' and tonumber(ARGV[3]) ~= rev then return {'conflict', rev} end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
local version = redis.call('INCR', KEYS[2])
redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[6], '*', 'entry', ARGV[4])
if ARGV[5] == '1' then
  redis.call('SADD', KEYS[4], ARGV[1])
elseif ARGV[5] == '0' then
  redis.call('SREM', KEYS[4], ARGV[1])
end
return {'ok', version}
"""


def parse_slots(stored: Iterable[Stored]) -> dict[str, StoredSlot]:
    """Stored slot documents as settings; one that no longer parses is logged and left out
    (served with the contract's settings if it is a contract slot), never a failed request."""
    parsed = {}
    for s in stored:
        try:
            parsed[s.id] = StoredSlot.model_validate(s.body)
        except ValueError as exc:
            logger.error("slot settings of %s are not served: %s", s.id, exc)
    return parsed


class StoreConflict(Exception):
    """The document changed (or exists / is missing) since the writer read it."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class Stored:
    """A stored campaign or slot setting with its bookkeeping."""

    kind: Literal["campaign", "slot"]
    id: str
    body: dict[str, Any]
    revision: int
    updated_at: int
    updated_by: str
    origin: str
    digest: str = ""

    def document(self) -> bytes:
        return orjson.dumps(
            {
                "body": self.body,
                "revision": self.revision,
                "updated_at": self.updated_at,
                "updated_by": self.updated_by,
                "origin": self.origin,
                "digest": self.digest,
            }
        )

    @classmethod
    def parse(cls, kind: Literal["campaign", "slot"], item_id: str, raw: bytes | str) -> Stored:
        doc = orjson.loads(raw)
        return cls(
            kind,
            item_id,
            doc["body"],
            int(doc["revision"]),
            int(doc["updated_at"]),
            str(doc["updated_by"]),
            str(doc["origin"]),
            str(doc.get("digest", "")),
        )

    def public(self) -> dict[str, Any]:
        """What the admin API shows."""
        return {
            self.kind: self.body,
            "revision": self.revision,
            "updated_at": self.updated_at,
            "updated_by": self.updated_by,
            "origin": self.origin,
        }


@dataclass(frozen=True)
class StoreKeys:
    campaigns: str
    slots: str
    version: str
    audit: str
    exempt: str

    @classmethod
    def of(cls, prefix: str = DEFAULT_PREFIX) -> StoreKeys:
        base = f"{prefix}:{{tp}}"
        return cls(f"{base}:campaigns", f"{base}:slots", f"{base}:version", f"{base}:audit", exempt_key(prefix))


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


class CampaignStore:
    """Reads and writes campaigns and slot settings; every write is audited."""

    def __init__(self, client: redis.Redis, prefix: str = DEFAULT_PREFIX) -> None:
        self.client = client
        self.keys = StoreKeys.of(prefix)
        self._save = client.register_script(SAVE)

    # -- reads -----------------------------------------------------------------------
    def version(self) -> int | None:
        raw = self.client.get(self.keys.version)
        return None if raw is None else int(raw)

    def snapshot(self) -> tuple[int | None, list[Stored], list[Stored]]:
        """(version, campaigns, slot settings) read together."""
        pipe = self.client.pipeline(transaction=True)
        pipe.get(self.keys.version)
        pipe.hgetall(self.keys.campaigns)
        pipe.hgetall(self.keys.slots)
        version, campaigns, slots = pipe.execute()
        return (
            None if version is None else int(version),
            [Stored.parse("campaign", _text(k), v) for k, v in sorted(campaigns.items())],
            [Stored.parse("slot", _text(k), v) for k, v in sorted(slots.items())],
        )

    def get(self, kind: Literal["campaign", "slot"], item_id: str) -> Stored | None:
        raw = self.client.hget(self._hash(kind), item_id)
        return None if raw is None else Stored.parse(kind, item_id, raw)

    def list(self, kind: Literal["campaign", "slot"]) -> list[Stored]:
        raw = self.client.hgetall(self._hash(kind))
        return [Stored.parse(kind, _text(k), v) for k, v in sorted(raw.items())]

    def audit(self, limit: int = 100, item_id: str | None = None) -> list[dict[str, Any]]:
        """Newest first. With ``item_id``, only that campaign's or slot's entries (of the newest 10k)."""
        scan = limit if item_id is None else 10_000
        entries = []
        for stream_id, fields in self.client.xrevrange(self.keys.audit, count=scan):
            entry = orjson.loads(fields[b"entry"])
            if item_id is None or entry.get("id") == item_id:
                entries.append({"audit_id": _text(stream_id), **entry})
                if len(entries) >= limit:
                    break
        return entries

    # -- writes ----------------------------------------------------------------------
    def save(
        self,
        kind: Literal["campaign", "slot"],
        item_id: str,
        body: dict[str, Any],
        *,
        actor: str,
        action: str,
        expected_revision: int,
        origin: str = ADMIN_ORIGIN,
        digest: str = "",
        exempt: bool | None = None,
        source_ip: str = "",
        before: Stored | None = None,
    ) -> Stored:
        """Store ``body`` as revision ``expected_revision + 1`` if the stored one is still
        ``expected_revision`` (0: must not exist); raises :class:`StoreConflict` otherwise."""
        at = now_ms()
        stored = Stored(kind, item_id, body, expected_revision + 1, at, actor, origin, digest)
        entry = {
            "at": at,
            "actor": actor,
            "ip": source_ip,
            "action": action,
            "kind": kind,
            "id": item_id,
            "revision": stored.revision,
            "before": before.body if before else None,
            "after": body,
        }
        flag = "" if exempt is None else ("1" if exempt else "0")
        reply = self._save(
            keys=[self._hash(kind), self.keys.version, self.keys.audit, self.keys.exempt],
            args=[item_id, stored.document(), expected_revision, orjson.dumps(entry), flag, AUDIT_MAX_ENTRIES],
        )
        if _text(reply[0]) == "conflict":
            current = int(reply[1])
            if expected_revision == 0:
                raise StoreConflict("exists", f"{kind} {item_id} exists already (revision {current})")
            raise StoreConflict(
                "revision_conflict", f"{kind} {item_id} is at revision {current}, not {expected_revision}; reload it"
            )
        logger.info("%s %s %s by %s (revision %d)", action, kind, item_id, actor, stored.revision)
        return stored

    def save_campaign(
        self, campaign: Campaign, *, actor: str, action: str, expected_revision: int, source_ip: str = "", **kw: Any
    ) -> Stored:
        before = self.get("campaign", campaign.id) if expected_revision else None
        return self.save(
            "campaign",
            campaign.id,
            campaign.model_dump(mode="json"),
            actor=actor,
            action=action,
            expected_revision=expected_revision,
            exempt=not campaign.marketing,
            source_ip=source_ip,
            before=before,
            **kw,
        )

    def save_slot(self, slot_id: str, settings: StoredSlot, *, actor: str, action: str, source_ip: str = "") -> Stored:
        """Replace a slot's settings (a created slot's ``settings`` carry its definition along)."""
        before = self.get("slot", slot_id)
        return self.save(
            "slot",
            slot_id,
            settings.document(),
            actor=actor,
            action=action,
            expected_revision=before.revision if before else 0,
            source_ip=source_ip,
            before=before,
        )

    def create_slot(self, slot_id: str, slot: StoredSlot, *, actor: str, source_ip: str = "") -> Stored:
        """Add a slot beside the contract's; :class:`StoreConflict` ``exists`` if the id is taken
        (archived slots included: an id is never reused, reports would mix two slots)."""
        return self.save(
            "slot", slot_id, slot.document(), actor=actor, action="create", expected_revision=0, source_ip=source_ip
        )

    def set_status(
        self, kind: Literal["campaign", "slot"], item_id: str, status: Status, *, actor: str, source_ip: str = ""
    ) -> Stored:
        """Pause, resume or archive; archived is final."""
        current = self.get(kind, item_id)
        if current is None:
            raise KeyError(item_id)
        if current.body.get("status") == "archived":
            raise StoreConflict("archived", f"{kind} {item_id} is archived; archived {kind}s stay archived")
        action = {"active": "resume", "paused": "pause", "archived": "archive"}[status]
        return self.save(
            kind,
            item_id,
            {**current.body, "status": status},
            actor=actor,
            action=action,
            expected_revision=current.revision,
            source_ip=source_ip,
            before=current,
        )

    def sync_files(self, file_campaigns: Iterable[FileCampaign]) -> int:
        """Load the data files' campaigns: add the missing ones and update those still as a file
        left them whose definition changed; a campaign an operator changed is kept. Returns changes."""
        changed = 0
        for fc in file_campaigns:
            origin = f"file:{fc.source}"
            current = self.get("campaign", fc.campaign.id)
            if current is not None and (current.origin != origin or current.digest == fc.digest):
                continue
            try:
                self.save_campaign(
                    fc.campaign,
                    actor=origin,
                    action="load",
                    expected_revision=current.revision if current else 0,
                    origin=origin,
                    digest=fc.digest,
                )
                changed += 1
            except StoreConflict:
                continue  # another process loaded it at the same moment
        return changed

    def _hash(self, kind: Literal["campaign", "slot"]) -> str:
        return self.keys.campaigns if kind == "campaign" else self.keys.slots
