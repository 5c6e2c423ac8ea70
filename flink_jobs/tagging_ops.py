"""The Python half of the job: referral routing and the tag engine, as keyed process functions.

Both buffer their input in keyed state until the watermark passes it, then work through it
in ``(ts, event_id)`` order. That is what the engine needs (per user, non-decreasing event
time) and it makes the result independent of how records were interleaved on the way:
a batch backfill, a catch-up and a live run feed the engine the same sequence.

The tag step writes every TagChange and the business state to Redis through a pipelined,
idempotent ProfileWriter (flushed at least every ``flush_interval_ms`` while records flow,
and at close), and emits both to FileSinks. A hard kill can lose Redis writes queued before
the last checkpoint; :mod:`flink_jobs.repair` replays the committed outputs on restart.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import orjson
from pyflink.common import Row, Types
from pyflink.datastream import KeyedProcessFunction, OutputTag, RuntimeContext, TimeDomain
from pyflink.datastream.state import ValueStateDescriptor

logger = logging.getLogger(__name__)

MAX_TS = 2**63 - 1

TAG_CHANGE_TYPE = Types.ROW_NAMED(
    ["user_id", "tag", "action", "ts_ms", "expires_at_ms", "seq"],
    [Types.STRING(), Types.STRING(), Types.STRING(), Types.LONG(), Types.LONG(), Types.LONG()],
)
PROFILE_STATE_TYPE = Types.ROW_NAMED(["user_id", "updated_at", "state"], [Types.STRING(), Types.LONG(), Types.STRING()])
EVENT_TYPE = Types.ROW_NAMED(["user_id", "ts_ms", "line"], [Types.STRING(), Types.LONG(), Types.STRING()])
PROFILE_STATES = OutputTag("profile_states", PROFILE_STATE_TYPE)


class _Buffered(KeyedProcessFunction):
    """Holds a key's records until the watermark reaches them; subclasses consume them in order."""

    def open(self, runtime_context: RuntimeContext) -> None:
        self._buffer = runtime_context.get_state(ValueStateDescriptor("buffer", Types.PICKLED_BYTE_ARRAY()))

    def _add(self, ctx: KeyedProcessFunction.Context, ts: int, event: dict[str, Any]) -> None:
        buffer: list[tuple[int, str, dict[str, Any]]] = self._buffer.value() or []
        if not buffer or ts < min(b[0] for b in buffer):
            ctx.timer_service().register_event_time_timer(ts)
        buffer.append((ts, str(event.get("event_id", "")), event))
        self._buffer.update(buffer)

    def _take(self, ctx: KeyedProcessFunction.OnTimerContext, upto: int) -> list[dict[str, Any]]:
        """Buffered records with ts <= ``upto`` in (ts, event_id) order; re-arms a timer for the rest."""
        buffer: list[tuple[int, str, dict[str, Any]]] = self._buffer.value() or []
        if not buffer:
            return []
        ready = sorted((b for b in buffer if b[0] <= upto), key=lambda b: (b[0], b[1]))
        rest = [b for b in buffer if b[0] > upto]
        if rest:
            self._buffer.update(rest)
            ctx.timer_service().register_event_time_timer(min(b[0] for b in rest))
        else:
            self._buffer.clear()
        return [b[2] for b in ready]


class ReferralRouting(_Buffered):
    """Keyed by share_id: turns visits through another user's share into credits of the sharer."""

    def __init__(self, credit_days: int = 30) -> None:
        self.credit_days = credit_days

    def open(self, runtime_context: RuntimeContext) -> None:
        from tagging.referrals import ReferralRouter

        super().open(runtime_context)
        self._router = ReferralRouter(self.credit_days)
        self._share = runtime_context.get_state(ValueStateDescriptor("share", Types.STRING()))

    def process_element(self, value: Row, ctx: KeyedProcessFunction.Context):  # type: ignore[no-untyped-def]
        self._add(ctx, int(value[2]), orjson.loads(value[3]))
        return iter(())

    def on_timer(self, timestamp: int, ctx: KeyedProcessFunction.OnTimerContext):  # type: ignore[no-untyped-def]
        from tagging.referrals import ShareRecord

        raw = self._share.value()
        record = ShareRecord.from_bytes(raw) if raw else None
        if record is not None and self._router.expired(record, timestamp):
            self._share.clear()
            record = None
        for event in self._take(ctx, max(timestamp, ctx.timer_service().current_watermark())):
            record, credit = self._router.on_event(record, event)
            if credit is not None:
                yield Row(credit["user_id"], int(credit["ts"]), orjson.dumps(credit).decode())
        if record is not None:
            self._share.update(record.to_bytes().decode())
            ctx.timer_service().register_event_time_timer(record.ts + self._router.credit_ms)


class TagStep(_Buffered):
    """Keyed by user_id: the tag engine, its event-time timers, Redis writes and change records."""

    def __init__(
        self,
        redis_url: str,
        redis_prefix: str,
        definitions: str | None,
        horizon_ms: int | None,
        flush_interval_ms: int,
    ) -> None:
        self.redis_url = redis_url
        self.redis_prefix = redis_prefix
        self.definitions = definitions
        self.horizon_ms = horizon_ms
        self.flush_interval_s = flush_interval_ms / 1000

    def open(self, runtime_context: RuntimeContext) -> None:
        import redis

        from tagging.catalogue import DEFINITIONS_DIR
        from tagging.engine import TagEngine
        from tagging.profiles import RedisProfileStore
        from tagging.watcher import TagCatalogueWatcher

        super().open(runtime_context)
        self._user = runtime_context.get_state(ValueStateDescriptor("user", Types.STRING()))
        self._watcher = TagCatalogueWatcher(self.definitions or DEFINITIONS_DIR)
        self._engine = TagEngine(self._watcher.current())
        self._store = RedisProfileStore(redis.Redis.from_url(self.redis_url), self.redis_prefix)
        self._writer = self._store.writer(max_pending=2000)
        self._flushed = time.monotonic()

    def close(self) -> None:
        writer = getattr(self, "_writer", None)
        if writer is not None:
            pending = writer.pending
            writer.flush()
            self._store.close()
            logger.info("tag step closed; flushed %d pending profile writes", pending)

    def process_element(self, value: Row, ctx: KeyedProcessFunction.Context):  # type: ignore[no-untyped-def]
        self._add(ctx, int(value[1]), orjson.loads(value[2]))
        self._maybe_flush()
        return iter(())

    def on_timer(self, timestamp: int, ctx: KeyedProcessFunction.OnTimerContext):  # type: ignore[no-untyped-def]
        if ctx.time_domain() == TimeDomain.PROCESSING_TIME:
            self._maybe_flush()  # the stream went quiet with writes queued
            return
        yield from self._on_event_time(timestamp, ctx)

    def _on_event_time(self, timestamp: int, ctx: KeyedProcessFunction.OnTimerContext):  # type: ignore[no-untyped-def]
        from tagging.state import UserState

        now = max(timestamp, ctx.timer_service().current_watermark())
        if self.horizon_ms is not None:
            now = min(now, self.horizon_ms)
        events = self._take(ctx, now)
        raw = self._user.value()
        state = UserState.from_bytes(raw) if raw else UserState(user_id=str(ctx.get_current_key()))
        business_before = orjson.dumps(state.business)
        self._engine.set_catalogue(self._watcher.current())
        changes = []
        for event in events:
            changes.extend(self._engine.on_event(state, event))
        changes.extend(self._engine.advance(state, now))
        self._user.update(state.to_bytes().decode())
        due = self._engine.next_due(state)
        if due is not None and (self.horizon_ms is None or due <= self.horizon_ms):
            ctx.timer_service().register_event_time_timer(max(due, now + 1) if due <= now else due)
        business = orjson.dumps(state.business)
        changed_business = business != business_before
        if changes or changed_business:
            self._writer.add(state.user_id, changes, state.business if changed_business else None)
            # a wall-clock timer makes sure this write goes out even if no record follows
            interval = int(self.flush_interval_s * 1000)
            wall = ctx.timer_service().current_processing_time()
            ctx.timer_service().register_processing_time_timer(wall - wall % interval + interval)
        for c in changes:
            yield Row(c.user_id, c.tag, c.action, c.ts_ms, c.expires_at_ms, c.seq)
        if changed_business:
            yield PROFILE_STATES, Row(state.user_id, state.business.updated_at, business.decode())
        self._maybe_flush()

    def _maybe_flush(self) -> None:
        if self._writer.pending and time.monotonic() - self._flushed >= self.flush_interval_s:
            self._writer.flush()
            self._flushed = time.monotonic()
