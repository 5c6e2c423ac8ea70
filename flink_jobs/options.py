"""The job's tunables and the places under ``settings.home`` where it keeps its files.

One frozen object so the continuous job, a backfill and the tests agree on every path and
every bound (lateness, checkpoint interval, dedup TTL) without passing a dozen arguments.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from core.clock import DAY_MS
from core.config import EnvironmentSettings, Settings

ENV_PREFIX = "TOUCHSTREAM_FLINK_"
OUTPUT_TABLES = ("events", "minute_metrics", "late_events", "rejects", "tag_changes", "profile_states")

_Ms = Field(ge=0)


class JobOptions(EnvironmentSettings):
    """Bounds of the job, from ``TOUCHSTREAM_FLINK_<NAME>`` (e.g. ``TOUCHSTREAM_FLINK_LATENESS_MS``).

    ``lateness_ms`` is the allowed lateness: an event whose ``ts`` is behind the watermark
    (the largest ``ts`` read minus the lateness) when it is read is *late*: counted in
    ``late_events``, kept out of the minute metrics and the referral credits, and kept out of
    the tags unless it is a fact (docs/time.md). Event time is the collector's derived,
    server-vouched time, so one second covers the disorder between collector workers."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, frozen=True, extra="forbid", env_ignore_empty=True)

    lateness_ms: int = Field(1_000, ge=0)
    checkpoint_interval_ms: int = Field(10_000, ge=0)
    dedup_ttl_ms: int = Field(6 * 3_600_000, ge=0)  # duplicates (client retries) arrive within minutes
    bundle_time_ms: int = Field(20, ge=0)
    monitor_interval_ms: int = Field(200, ge=0)  # how soon a published segment is read
    parallelism: int = Field(1, ge=1)  # ordered splits need one reader; the whole job is tiny on 2 cores
    flush_interval_ms: int = Field(200, ge=0)  # Redis writes are at most this old unless the stream stalls
    tag_batch_ms: int = Field(200, gt=0)  # streaming: the tag step sees each user's events in windows this long
    backfill_tag_batch_ms: int = Field(7 * DAY_MS, gt=0)  # BATCH: timers fire per key at the end anyway
    tag_shards: int = Field(32, ge=0)  # streaming: the tag step's keys, hash buckets of user ids (0: one per user)
    backfill_tag_shards: int = Field(0, ge=0)  # BATCH: by user; a key's input waits in state until its timers fire
    horizon_ms: int | None = Field(None, ge=0)  # bounded runs: timers after this instant do not fire
    redis_prefix: str = "ts"
    # the touchpoint service's calendar (TOUCHSTREAM_TOUCHPOINTS_TIMEZONE), set by the commands: exposures
    # count against its caps per day, week and month of that zone; None: exposures are not counted
    contacts_timezone: str | None = None
    tag_definitions: Path | None = None  # None: the shipped tagging/definitions

    def shards(self, batch: bool) -> int:
        return self.backfill_tag_shards if batch else self.tag_shards

    def with_(self, **changes: object) -> JobOptions:
        return self.model_copy(update=changes)


@dataclass(frozen=True)
class JobPaths:
    """Where the job's checkpoints, savepoints and FileSink outputs live."""

    root: Path

    @classmethod
    def of(cls, settings: Settings) -> JobPaths:
        return cls(settings.flink_home)

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
    def backfill_ledger(self) -> Path:
        """Content digests of the files backfilled into this home (each is loaded once)."""
        return self.root / "backfilled.txt"

    @property
    def repair_ledger(self) -> Path:
        return self.root / "redis-repaired.txt"
