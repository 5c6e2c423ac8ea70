"""Assemble the job: source -> SQL views -> FileSinks, and the tag path through Python.

::

    FileSource (ordered splits, p=1) ─ PARSE_EVENT (Java, once per line)
      └ parsed (rt, watermark = max ts - lateness) ─┬ rejects ──► out/rejects
                └ deduped ─┬ stream_events ──────────────► out/stream_events
                           ├ late_events ────────────────► out/late_events
                           ├ on_time ─ TUMBLE 1 min ─────► out/minute_metrics
                           ├ referral input ─ keyBy share_id ─ ReferralRouting ─┐ credits
                           └ on_time ─ TUMBLE batch per shard ──────────────────┴ union
                                  ─ keyBy shard ─ TagStep ───┬ Redis profiles
                                                             ├ out/tag_changes
                                                             └ out/profile_states

``parsed`` and ``deduped`` are each materialised once (a DataStream round trip), so every
branch reads the same parse and the same dedup.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pyflink.common import Types
from pyflink.datastream import DataStream, StreamExecutionEnvironment
from pyflink.table import StatementSet, StreamTableEnvironment

from core.contract import default_catalogue
from flink_jobs import tables
from flink_jobs.env import batch_configuration, create_environments, streaming_configuration, use_log_dir
from flink_jobs.options import OUTPUT_TABLES, JobOptions, JobPaths
from flink_jobs.source import event_lines, event_log_source
from flink_jobs.tagging_ops import (
    BATCH_TYPE,
    OUTPUT_TYPE,
    ReferralRouting,
    ReleaseGrid,
    TagStep,
)

logger = logging.getLogger(__name__)


@dataclass
class BuiltJob:
    env: StreamExecutionEnvironment
    t_env: StreamTableEnvironment
    name: str


def build_job(
    inputs: Sequence[Path],
    paths: JobPaths,
    options: JobOptions,
    redis_url: str,
    *,
    continuous: bool,
    batch: bool = False,
    restore_from: Path | None = None,
    name: str = "touchstream",
) -> BuiltJob:
    """Build (not run) the job over ``inputs``. ``continuous`` watches for new segments;
    ``batch`` uses Flink's BATCH runtime (bounded input only, sorts each key by time)."""
    if batch and continuous:
        raise ValueError("a BATCH job cannot monitor its input continuously")
    env, t_env, lines = open_event_log(
        inputs, paths, options, continuous=continuous, batch=batch, restore_from=restore_from
    )
    tables.register_views(t_env, lines, options.lateness_ms, batch)
    statements = register_sinks(t_env, paths, options)
    for table in tables.SQL_INSERTS:
        statements.add_insert_sql(tables.insert_sql(table))
    grid = ReleaseGrid(options.backfill_tag_batch_ms if batch else options.tag_batch_ms)
    shards = options.shards(batch)
    batches = t_env.to_data_stream(tables.tag_batches(t_env, grid.size_ms, shards, default_catalogue()))
    shares = t_env.to_data_stream(tables.referral_input(t_env))
    attach_tag_path(t_env, statements, batches.map(lambda r: r, BATCH_TYPE), shares, grid, shards, options, redis_url)
    statements.attach_as_datastream()
    return BuiltJob(env, t_env, name)


def open_event_log(
    inputs: Sequence[Path],
    paths: JobPaths,
    options: JobOptions,
    *,
    continuous: bool,
    batch: bool,
    restore_from: Path | None = None,
) -> tuple[StreamExecutionEnvironment, StreamTableEnvironment, DataStream]:
    """The configured environments and the event log's lines, in segment-name order."""
    use_log_dir(paths)
    conf = batch_configuration(options) if batch else streaming_configuration(options, paths, restore_from)
    env, t_env = create_environments(conf, batch)
    monitor = options.monitor_interval_ms if continuous else None
    return env, t_env, event_lines(env, event_log_source(inputs, monitor))


def register_sinks(t_env: StreamTableEnvironment, paths: JobPaths, options: JobOptions) -> StatementSet:
    """One FileSink table per output under ``paths.out``; returns the statement set to fill."""
    for table in OUTPUT_TABLES:
        directory = paths.output(table)
        directory.mkdir(parents=True, exist_ok=True)
        tables.register_sink(t_env, table, directory.as_uri(), options.checkpoint_interval_ms)
    return t_env.create_statement_set()


def attach_tag_path(
    t_env: StreamTableEnvironment,
    statements: StatementSet,
    batches: DataStream,
    shares: DataStream,
    grid: ReleaseGrid,
    shards: int,
    options: JobOptions,
    redis_url: str,
) -> None:
    """Referral routing and the tag step, with their outputs added to ``statements``.

    ``batches``: ``(shard, release_ms, lines)`` rows on ``grid`` (flink_jobs.tagging_ops.shard_key);
    ``shares``:
    ``(share_key, user_id, ts_ms, line)`` rows of shares and visits through a share.
    """
    credits = (
        shares.key_by(lambda r: r[0], key_type=Types.STRING())
        .process(ReferralRouting(grid, shards), output_type=BATCH_TYPE)
        .uid("referral-routing")
        .name("referral-routing")
    )
    tagged = (
        batches.union(credits)
        .key_by(lambda r: r[0], key_type=Types.STRING())
        .process(
            TagStep(
                grid,
                redis_url,
                options.redis_prefix,
                str(options.tag_definitions) if options.tag_definitions else None,
                options.horizon_ms,
                options.flush_interval_ms,
                options.contacts_timezone,
            ),
            output_type=OUTPUT_TYPE,
        )
        .uid("tag-engine-shards")
        .name("tag-engine")
    )
    t_env.create_temporary_view("tag_outputs", t_env.from_data_stream(tagged))
    for table in ("tag_changes", "profile_states"):
        statements.add_insert_sql(tables.insert_sql(table))
