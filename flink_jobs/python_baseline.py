"""The same backfill with every step in Python: the baseline ``benchmarks/pipeline.py`` compares to.

Parse (``orjson``), validation, dedup by ``(user_id, event_id)``, the per-minute metrics and the tag
input are Python functions here instead of Flink SQL; the referral routing, the tag step
and all sinks are the production ones (:func:`flink_jobs.job.attach_tag_path`). BATCH only:
it exists to measure what moving work into SQL buys, and tests check it writes the same
outputs as the SQL job.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import orjson
from pyflink.common import Row, Types
from pyflink.datastream import KeyedProcessFunction, RuntimeContext
from pyflink.datastream.state import MapStateDescriptor, ValueStateDescriptor

from core.clock import MINUTE_MS
from flink_jobs.job import BuiltJob, attach_tag_path, open_event_log, register_sinks
from flink_jobs.options import JobOptions, JobPaths
from flink_jobs.tagging_ops import BATCH_TYPE, ReleaseGrid, shard_key

EVENT_FIELDS = [
    ("event_id", Types.STRING()),
    ("user_id", Types.STRING()),
    ("channel", Types.STRING()),
    ("event", Types.STRING()),
    ("ts_ms", Types.LONG()),
    ("received_ms", Types.LONG()),
    ("session_id", Types.STRING()),
    ("page", Types.STRING()),
    ("business", Types.STRING()),
    ("flow", Types.STRING()),
    ("step", Types.INT()),
    ("amount", Types.DOUBLE()),
    ("late", Types.BOOLEAN()),
]
EVENT_TYPE = Types.ROW_NAMED(["line", "late"], [Types.STRING(), Types.BOOLEAN()])
PARSED_TYPE = Types.ROW_NAMED(
    ["reason", "line", "share_id", "ref_share_id", *(n for n, _ in EVENT_FIELDS)],
    [Types.STRING(), Types.STRING(), Types.STRING(), Types.STRING(), *(t for _, t in EVENT_FIELDS)],
)
# positions in PARSED_TYPE rows (Python rows are positional between chained functions)
REASON, LINE, SHARE_ID, REF_SHARE_ID, EVENT_ID, USER_ID, CHANNEL, EVENT, TS, RECEIVED = range(10)
BUSINESS, AMOUNT = 12, 15
REJECT_TYPE = Types.ROW_NAMED(["reason", "line"], [Types.STRING(), Types.STRING()])
METRIC_TYPE = Types.ROW_NAMED(
    ["minute_ms", "channel", "event", "business", "events", "users", "amount"],
    [Types.LONG(), Types.STRING(), Types.STRING(), Types.STRING(), Types.LONG(), Types.LONG(), Types.DOUBLE()],
)
SHARE_TYPE = Types.ROW_NAMED(
    ["share_key", "user_id", "ts_ms", "line"], [Types.STRING(), Types.STRING(), Types.LONG(), Types.STRING()]
)


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, dict | list):
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _integral(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            return None
    return None


def _number(value: Any) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            return None
    return None


def parse_line(line: str) -> Row:
    """What ``PARSE_EVENT`` and the ``PARSE`` view compute, in Python."""
    try:
        record = orjson.loads(line)
    except orjson.JSONDecodeError:
        record = None
    if not isinstance(record, dict):
        return Row("not a JSON object", line, "", "", "", "", "", "", 0, 0, "", "", "", "", 0, 0.0, False)
    props = record.get("props") if isinstance(record.get("props"), dict) else {}
    fields = {k: _text(record.get(k)) for k in ("event_id", "user_id", "channel", "event")}
    ts = _integral(record.get("ts"))
    reason = next((f"missing {k}" for k, v in fields.items() if not v), None)
    if reason is None and ts is None:
        reason = "ts missing or not integer epoch milliseconds"
    step = _integral(props.get("step"))
    return Row(
        reason,
        line,
        _text(props.get("share_id")) or "",
        _text(props.get("ref_share_id")) or "",
        fields["event_id"] or "",
        fields["user_id"] or "",
        fields["channel"] or "",
        fields["event"] or "",
        ts or 0,
        _integral(record.get("received_at")) or 0,
        _text(record.get("session_id")) or "",
        _text(record.get("page")) or "",
        _text(props.get("business")) or "",
        _text(props.get("flow")) or "",
        step if step is not None and -(2**31) <= step < 2**31 else 0,
        _number(props.get("amount")) or 0.0,
        False,
    )


class KeepEarliest(KeyedProcessFunction):
    """Keyed by (user_id, event_id): the copy with the smallest (ts, received), emitted at the end of the key."""

    def open(self, runtime_context: RuntimeContext) -> None:
        self._best = runtime_context.get_state(ValueStateDescriptor("best", Types.PICKLED_BYTE_ARRAY()))

    def process_element(self, value: Row, ctx: KeyedProcessFunction.Context):  # type: ignore[no-untyped-def]
        best = self._best.value()
        if best is None:
            ctx.timer_service().register_event_time_timer(value[TS])
        if best is None or (value[TS], value[RECEIVED]) < (best[TS], best[RECEIVED]):
            self._best.update(value)
        return iter(())

    def on_timer(self, timestamp: int, ctx: KeyedProcessFunction.OnTimerContext):  # type: ignore[no-untyped-def]
        best = self._best.value()
        if best is not None:
            self._best.clear()
            yield best


class MinuteCounts(KeyedProcessFunction):
    """Keyed by (minute, channel, event, business): events, distinct users and amount."""

    def open(self, runtime_context: RuntimeContext) -> None:
        self._totals = runtime_context.get_state(ValueStateDescriptor("totals", Types.PICKLED_BYTE_ARRAY()))
        self._users = runtime_context.get_map_state(MapStateDescriptor("users", Types.STRING(), Types.BOOLEAN()))

    def process_element(self, value: Row, ctx: KeyedProcessFunction.Context):  # type: ignore[no-untyped-def]
        totals = self._totals.value()
        if totals is None:
            totals = (0, 0.0)
            ctx.timer_service().register_event_time_timer(value[TS])
        self._totals.update((totals[0] + 1, totals[1] + value[AMOUNT]))
        self._users.put(value[USER_ID], True)
        return iter(())

    def on_timer(self, timestamp: int, ctx: KeyedProcessFunction.OnTimerContext):  # type: ignore[no-untyped-def]
        minute, channel, event, business = ctx.get_current_key()
        events, amount = self._totals.value()
        users = sum(1 for _ in self._users.values())
        self._totals.clear()
        self._users.clear()
        yield Row(minute, channel, event, business, events, users, amount)


def build_python_job(inputs: Sequence[Path], paths: JobPaths, options: JobOptions, redis_url: str) -> BuiltJob:
    """The backfill of :func:`flink_jobs.job.build_job` (``batch=True``) with its SQL replaced by Python."""
    env, t_env, lines = open_event_log(inputs, paths, options, continuous=False, batch=True)
    statements = register_sinks(t_env, paths, options)
    parsed = lines.map(parse_line, output_type=PARSED_TYPE).name("parse")
    rejects = parsed.filter(lambda r: r[REASON] is not None).map(lambda r: Row(r[REASON], r[LINE]), REJECT_TYPE)
    deduped = (
        parsed.filter(lambda r: r[REASON] is None)
        .key_by(lambda r: f"{r[USER_ID]}\n{r[EVENT_ID]}", key_type=Types.STRING())
        .process(KeepEarliest(), output_type=PARSED_TYPE)
        .name("dedup")
    )
    events = deduped.map(lambda r: Row(r[LINE], False), output_type=EVENT_TYPE)
    metrics = (
        deduped.key_by(
            lambda r: (r[TS] - r[TS] % MINUTE_MS, r[CHANNEL], r[EVENT], r[BUSINESS]),
            key_type=Types.TUPLE([Types.LONG(), Types.STRING(), Types.STRING(), Types.STRING()]),
        )
        .process(MinuteCounts(), output_type=METRIC_TYPE)
        .name("minute-metrics")
    )
    statements.add_insert("sink_rejects", t_env.from_data_stream(rejects))
    statements.add_insert("sink_events", t_env.from_data_stream(events))
    statements.add_insert("sink_minute_metrics", t_env.from_data_stream(metrics))
    grid, shards = ReleaseGrid(options.backfill_tag_batch_ms), options.shards(batch=True)
    batches = deduped.map(
        lambda r: Row(shard_key(r[USER_ID], shards), grid.release(r[TS]), r[LINE]), output_type=BATCH_TYPE
    )
    shares = deduped.filter(
        lambda r: (r[EVENT] == "share" and r[SHARE_ID]) or (r[EVENT] == "page_view" and r[REF_SHARE_ID])
    ).map(
        lambda r: Row(r[SHARE_ID] if r[EVENT] == "share" else r[REF_SHARE_ID], r[USER_ID], r[TS], r[LINE]),
        output_type=SHARE_TYPE,
    )
    attach_tag_path(t_env, statements, batches, shares, grid, shards, options, redis_url)
    statements.attach_as_datastream()
    return BuiltJob(env, t_env, "touchstream-python-baseline")
