"""Read a job's committed FileSink outputs and its Redis profiles, for comparing runs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import redis

from tagging.profiles import RedisProfileStore
from tagging.profiles.keys import tags_key


def rows(out: Path, table: str) -> list[dict[str, Any]]:
    """Every row of the committed part files of ``table`` (hidden in-progress files excluded)."""
    directory = out / table
    if not directory.is_dir():
        return []
    found = []
    for path in sorted(directory.iterdir()):
        if path.is_file() and not path.name.startswith((".", "_")):
            found.extend(orjson.loads(line) for line in path.read_bytes().splitlines() if line.strip())
    return found


def event_ids(out: Path) -> list[tuple[str, str]]:
    """``(user_id, event_id)`` of every row of the committed ``events`` output (a row holds the line)."""
    return [(e["user_id"], e["event_id"]) for e in (orjson.loads(r["line"]) for r in rows(out, "events"))]


def canonical(records: list[dict[str, Any]], drop: tuple[str, ...] = ()) -> list[str]:
    """Sorted JSON texts: a multiset that compares equal iff the rows are the same."""
    return sorted(
        orjson.dumps({k: v for k, v in r.items() if k not in drop}, option=orjson.OPT_SORT_KEYS).decode()
        for r in records
    )


def profiles(client: redis.Redis, prefix: str, users: list[str]) -> dict[str, Any]:
    store = RedisProfileStore(client, prefix)
    return {u: store.get_profile(u) for u in users}


def tagged_users(client: redis.Redis, prefix: str, users: list[str]) -> int:
    return sum(1 for u in users if client.hlen(tags_key(prefix, u)))
