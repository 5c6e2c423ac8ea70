"""The job's tunables and the places under ``settings.home`` where it keeps its files.

One frozen object so the continuous job, a backfill and the tests agree on every path and
every bound (lateness, checkpoint interval, dedup TTL) without passing a dozen arguments.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path

from touchstream.config import Settings

ENV_PREFIX = "TOUCHSTREAM_FLINK_"
OUTPUT_TABLES = ("stream_events", "minute_metrics", "late_events", "rejects", "tag_changes", "profile_states")


@dataclass(frozen=True)
class JobOptions:
    """Bounds of the job. ``lateness_ms`` is the documented allowed lateness: an event whose
    one-minute window has already closed when it is read (watermark = max ts seen - lateness)
    is *late*: counted in ``late_events``, kept out of the minute metrics, still tagged."""

    lateness_ms: int = 10_000
    checkpoint_interval_ms: int = 10_000
    dedup_ttl_ms: int = 6 * 3_600_000  # duplicates (client retries) arrive within minutes
    bundle_time_ms: int = 20
    monitor_interval_ms: int = 1_000
    parallelism: int = 1  # ordered splits need one reader; the whole job is tiny on 2 cores
    flush_interval_ms: int = 200  # Redis writes are at most this old unless the stream stalls
    tag_batch_ms: int = 500  # streaming: the tag step sees each user's events in windows this long
    backfill_tag_batch_ms: int = 7 * 86_400_000  # BATCH: timers fire per key at the end anyway
    tag_shards: int = 32  # streaming: the tag step's keys, hash buckets of user ids (0: one key per user)
    backfill_tag_shards: int = 0  # BATCH: by user; a key's whole input waits in state until its timers fire
    horizon_ms: int | None = None  # bounded runs: timers after this instant do not fire
    redis_prefix: str = "ts"
    tag_definitions: Path | None = None  # None: the shipped tagging/definitions

    def shards(self, batch: bool) -> int:
        return self.backfill_tag_shards if batch else self.tag_shards

    def with_(self, **changes: object) -> JobOptions:
        return replace(self, **changes)  # type: ignore[arg-type]

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> JobOptions:
        """Integer options from ``TOUCHSTREAM_FLINK_<NAME>`` (e.g. ``TOUCHSTREAM_FLINK_LATENESS_MS``)."""
        env = os.environ if env is None else env
        values: dict[str, object] = {}
        for f in fields(cls):
            raw = env.get(ENV_PREFIX + f.name.upper())
            if raw is None or f.name in ("redis_prefix", "tag_definitions"):
                continue
            try:
                values[f.name] = int(raw)
            except ValueError:
                raise ValueError(f"{ENV_PREFIX}{f.name.upper()}: not an integer: {raw!r}") from None
            if values[f.name] < 0:  # type: ignore[operator]
                raise ValueError(f"{ENV_PREFIX}{f.name.upper()}: must be >= 0")
        if definitions := env.get(ENV_PREFIX + "TAG_DEFINITIONS"):
            values["tag_definitions"] = Path(definitions)
        return cls(**values)  # type: ignore[arg-type]


@dataclass(frozen=True)
class JobPaths:
    """Where the job's checkpoints, savepoints and FileSink outputs live."""

    root: Path

    @classmethod
    def of(cls, settings: Settings) -> JobPaths:
        return cls(settings.home / "flink")

    @property
    def checkpoints(self) -> Path:
        return self.root / "checkpoints"

    @property
    def savepoints(self) -> Path:
        return self.root / "savepoints"

    @property
    def out(self) -> Path:
        return self.root / "out"

    def output(self, table: str) -> Path:
        return self.out / table

    @property
    def repair_ledger(self) -> Path:
        return self.root / "redis-repaired.txt"
