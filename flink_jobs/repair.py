"""Bring Redis profiles up to the last checkpoint after a hard kill.

The tag step writes Redis with a pipeline flushed every few hundred milliseconds; what was
queued but not yet flushed when the JVM died is gone, while the restored state says those
changes happened. They are, however, in the ``tag_changes`` / ``profile_states`` part files
that the checkpoint committed. Before the job restarts, every committed part file not yet
replayed is applied to Redis; the writes are versioned (tag: ``(ts, seq)``, state:
``updated_at``), so applying something Redis already has, or something older, changes
nothing. A ledger keeps each file from being replayed twice.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from flink_jobs.options import JobPaths
from tagging.changes import TagChange
from tagging.profiles import RedisProfileStore
from tagging.state import BusinessState

logger = logging.getLogger(__name__)


def _committed(directory: Path) -> list[Path]:
    if not directory.is_dir():
        return []
    return sorted(p for p in directory.iterdir() if p.is_file() and not p.name.startswith((".", "_")))


def _records(path: Path) -> Iterator[dict[str, Any]]:
    with path.open("rb") as handle:
        for line in handle:
            if line.strip():
                yield orjson.loads(line)


def replay_outputs(paths: JobPaths, store: RedisProfileStore) -> int:
    """Apply committed tag changes and business states not replayed before; returns files applied."""
    ledger = paths.repair_ledger
    done = set(ledger.read_text().split()) if ledger.exists() else set()
    applied: list[str] = []
    changes: dict[str, list[TagChange]] = {}
    states: dict[str, dict[str, Any]] = {}
    for table in ("tag_changes", "profile_states"):
        for path in _committed(paths.output(table)):
            key = f"{table}/{path.name}"
            if key in done:
                continue
            for r in _records(path):
                user = r["user_id"]
                if table == "tag_changes":
                    change = TagChange(
                        user, r["tag"], r["action"], r["ts_ms"], r["expires_at_ms"], r["seq"], r.get("set_at_ms")
                    )
                    changes.setdefault(user, []).append(change)
                elif r["updated_at"] >= states.get(user, {}).get("updated_at", -1):
                    states[user] = orjson.loads(r["state"])  # part files are not in time order
            applied.append(key)
    with store.writer(max_pending=5000) as writer:
        for user in sorted(changes.keys() | states.keys()):
            ordered = sorted(changes.get(user, ()), key=lambda c: (c.ts_ms, c.seq))
            state = states.get(user)
            writer.add(user, ordered, BusinessState(**state) if state else None)
    if applied:
        ledger.parent.mkdir(parents=True, exist_ok=True)
        with ledger.open("a") as handle:
            handle.write("".join(f"{key}\n" for key in applied))
        logger.info("replayed %d committed output file(s) into Redis", len(applied))
    return len(applied)
