"""The demo's traffic: a generated world of the past days and of today, history imported, today live.

Everything before the moment the stack starts is imported into the event log in time order
(ingest/importer.py); the rest of today is sent to the collector as it happens
(touchstream/traffic/live.py). A marker under ``home/demo`` remembers up to when the world was
imported, so a second ``make run`` on the same home imports only what it missed while down.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from core.clock import DAY_MS, now_ms
from core.config import Settings

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class DemoWorld:
    users: int
    days: int  # days of history before today; today comes on top
    seed: int

    def start_ms(self, now: int) -> int:
        return now - now % DAY_MS - self.days * DAY_MS

    def marker(self, settings: Settings) -> Path:
        return settings.home / "demo" / f"imported-u{self.users}-d{self.days}-s{self.seed}.json"

    def history_file(self, settings: Settings) -> Path:
        return settings.home / "demo" / f"history-u{self.users}-d{self.days}-s{self.seed}.jsonl"


@dataclass
class ImportedHistory:
    path: Path
    events: int  # accepted by this import
    total: int  # imported into this home so far
    until_ms: int  # every event with ts <= this is imported


def import_history(settings: Settings, world: DemoWorld, now: int | None = None) -> ImportedHistory:
    """Import the world's events up to ``now`` that earlier runs have not imported."""
    from ingest.importer import import_events
    from touchstream.traffic.generate import generate_world

    now = now_ms() if now is None else now
    start = world.start_ms(now)
    marker = world.marker(settings)
    state = orjson.loads(marker.read_bytes()) if marker.exists() else {"start_ms": start, "until_ms": -1, "total": 0}
    start = int(state["start_ms"])  # on a later day the world of this home keeps its start and grows
    path = world.history_file(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with path.open("wb") as out:
        for event in generate_world(world.users, _days_through_today(start, now), world.seed, start_ms=start):
            if state["until_ms"] < event["ts"] <= now:
                out.write(orjson.dumps(event) + b"\n")
                count += 1
    report = import_events(settings, path) if count else None
    accepted = report.accepted if report else 0
    total = int(state["total"]) + accepted
    marker.write_bytes(orjson.dumps({"start_ms": start, "until_ms": now, "total": total}))
    return ImportedHistory(path, accepted, total, now)


def live_events(world: DemoWorld, settings: Settings, after_ms: int) -> Any:
    """The rest of today's events of the world, in time order."""
    from touchstream.traffic.generate import generate_world

    start = int(orjson.loads(world.marker(settings).read_bytes())["start_ms"])
    days = _days_through_today(start, now_ms())
    return (e for e in generate_world(world.users, days, world.seed, start_ms=start) if e["ts"] > after_ms)


def _days_through_today(start: int, now: int) -> int:
    return (now - now % DAY_MS - start) // DAY_MS + 1
