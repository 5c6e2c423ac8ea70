"""The Python half of the job: referral routing and the tag engine, as keyed process functions.

Both hold their input in keyed state until the watermark passes it, then work through it
in ``(ts, event_id)`` order. That is what the engine needs (per user, non-decreasing event
time) and it makes the result independent of how records were interleaved on the way:
a batch backfill, a catch-up and a live run feed the engine the same sequence.

The tag step receives *batches*: SQL groups the events of each shard (a hash bucket of
users, :func:`shard_key`) into event-time windows of a fixed grid (:class:`ReleaseGrid`)
and emits a window when the watermark passes its end, so Python runs once per shard and
window rather than once per event. Every timer the step sets lies on the grid's window
ends, where all events up to that instant have arrived.

The tag step writes every TagChange and the business state to Redis through a pipelined,
idempotent ProfileWriter (flushed at least every ``flush_interval_ms`` while records flow,
and at close), and emits both to FileSinks. A hard kill can lose Redis writes queued before
the last checkpoint; :mod:`flink_jobs.repair` replays the committed outputs on restart.
"""

from __future__ import annotations

import logging
import time
import zlib
from dataclasses import dataclass
from typing import Any

import orjson
from pyflink.common import Row, Types
from pyflink.datastream import KeyedProcessFunction, RuntimeContext, TimeDomain
from pyflink.datastream.state import ListStateDescriptor, MapStateDescriptor, ValueStateDescriptor

logger = logging.getLogger(__name__)

MAX_TS = 2**63 - 1
LAG_REPORT_S = 5.0

# The tag step's output: kind CHANGE (a tag change) or STATE (the user's business state).
OUTPUT_TYPE = Types.ROW_NAMED(
    ["kind", "user_id", "tag", "action", "ts_ms", "expires_at_ms", "seq", "set_at_ms", "updated_at", "state"],
    [*(Types.STRING() for _ in range(4)), *(Types.LONG() for _ in range(5)), Types.STRING()],
)
CHANGE, STATE = "change", "state"
EXPOSURE = "touchpoint_exposure"
BATCH_TYPE = Types.ROW_NAMED(["shard", "release_ms", "lines"], [Types.STRING(), Types.LONG(), Types.STRING()])


@dataclass(frozen=True)
class ReleaseGrid:
    """Event-time windows ``[k*size, (k+1)*size)``; a window is *released* at its last millisecond.

    SQL emits a user's window once the watermark reaches that instant, so at a release time
    every event up to it has reached the tag step; in between, some may still be in flight.
    """

    size_ms: int

    def release(self, ts: int) -> int:
        """The release time of the window holding ``ts``."""
        return ts - ts % self.size_ms + self.size_ms - 1

    def settled(self, watermark: int) -> int:
        """The latest release time at or before ``watermark`` (everything up to it has arrived)."""
        if watermark >= MAX_TS or watermark < 0:
            return watermark
        return self.release(watermark + 1 - self.size_ms)


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

    def __init__(self, grid: ReleaseGrid, shards: int, credit_days: int = 30) -> None:
        self.grid = grid
        self.shards = shards
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
                key = shard_key(credit["user_id"], self.shards)
                yield Row(key, self.grid.release(int(credit["ts"])), orjson.dumps(credit).decode())
        if record is not None:
            self._share.update(record.to_bytes().decode())
            ctx.timer_service().register_event_time_timer(record.ts + self._router.credit_ms)


def shard_key(user_id: str, shards: int) -> str:
    """The tag step's key for ``user_id``: CRC-32 of its UTF-8 modulo ``shards``, or the id
    itself when ``shards`` is 0. Must equal SQL's ``USER_SHARD`` (flink_jobs/java)."""
    return str(zlib.crc32(user_id.encode()) % shards) if shards > 0 else user_id


class TagStep(KeyedProcessFunction):
    """Keyed by shard (a hash bucket of user ids, or one user): the tag engine, its event-time
    timers, Redis writes and change records for every user of the shard.

    Input rows are ``(shard, release_ms, lines)``: a window of the shard's events, or a
    referral credit, released on ``grid``. They wait in ``inbox`` until the watermark reaches
    their release time; then the released events are applied per user in ``(ts, event_id)``
    order and each touched user's engine clock advances to that time.

    Why shards: PyFlink pays a fixed cost per record, per state access and per timer, several
    times the engine's own work per event. Keyed by user, a live stream brings one record
    (and one timer) per event, since a user rarely has two events in one window; keyed by
    shard, one record per shard and window carries all of them, and only the per-user state
    (``users``, a map state) is touched per user.

    A user's next due instant (an abandoned flow closing, a window ending) is kept in
    ``agenda``: release time -> users due then, with one timer per release time. A user
    whose due instant moved keeps a stale entry; its state records the release it is really
    scheduled for, and stale entries are skipped. Output rows are :data:`OUTPUT_TYPE`: tag
    changes and business states in one stream (a PyFlink side output costs far more per
    row than the main one).
    """

    def __init__(
        self,
        grid: ReleaseGrid,
        redis_url: str,
        redis_prefix: str,
        definitions: str | None,
        horizon_ms: int | None,
        flush_interval_ms: int,
        contacts_timezone: str | None = None,
    ) -> None:
        self.grid = grid
        self.redis_url = redis_url
        self.redis_prefix = redis_prefix
        self.definitions = definitions
        self.horizon_ms = horizon_ms
        self.flush_interval_ms = flush_interval_ms
        self.contacts_timezone = contacts_timezone

    def open(self, runtime_context: RuntimeContext) -> None:
        import redis

        from tagging.catalogue import DEFINITIONS_DIR
        from tagging.engine import TagEngine
        from tagging.profiles import RedisProfileStore
        from tagging.watcher import TagCatalogueWatcher

        self._inbox = runtime_context.get_list_state(ListStateDescriptor("inbox", Types.PICKLED_BYTE_ARRAY()))
        self._users = runtime_context.get_map_state(MapStateDescriptor("users", Types.STRING(), Types.STRING()))
        self._agenda = runtime_context.get_map_state(MapStateDescriptor("agenda", Types.LONG(), Types.STRING()))
        self._watcher = TagCatalogueWatcher(self.definitions or DEFINITIONS_DIR)
        self._engine = TagEngine(self._watcher.current())
        self._store = RedisProfileStore(redis.Redis.from_url(self.redis_url), self.redis_prefix)
        self._writer = self._store.writer(max_pending=2000)
        self._flushed = time.monotonic()
        self._flush_timer: int | None = None  # one wall-clock timer (any key's) covers all queued writes
        self._reported = 0.0

    def close(self) -> None:
        writer = getattr(self, "_writer", None)
        if writer is not None:
            pending = writer.pending
            writer.flush()
            self._store.close()
            logger.info("tag step closed; flushed %d pending profile writes", pending)

    def process_element(self, value: Row, ctx: KeyedProcessFunction.Context):  # type: ignore[no-untyped-def]
        release = int(value[1])
        self._inbox.add((release, value[2]))
        ctx.timer_service().register_event_time_timer(release)  # Flink keeps one per key and instant
        self._maybe_flush()
        return iter(())

    def on_timer(self, timestamp: int, ctx: KeyedProcessFunction.OnTimerContext):  # type: ignore[no-untyped-def]
        if ctx.time_domain() == TimeDomain.PROCESSING_TIME:
            self._flush_timer = None
            self._flush()  # the stream went quiet with writes queued
            return
        yield from self._on_event_time(timestamp, ctx)

    def _take(self, now: int) -> dict[str, list[dict[str, Any]]]:
        """The inbox's events with ts <= ``now``, per user in (ts, event_id) order."""
        ready: list[str] = []
        rest: list[tuple[int, str]] = []
        for release, lines in self._inbox.get() or ():
            if release <= now:
                ready.append(lines)
            elif release - self.grid.size_ms < now:  # a window cut by the horizon: split it
                early, late = [], []
                for line in lines.split("\n"):
                    (early if int(orjson.loads(line)["ts"]) <= now else late).append(line)
                ready.extend(early)
                if late:
                    rest.append((release, "\n".join(late)))
            else:
                rest.append((release, lines))
        if not ready:
            return {}
        if rest:
            self._inbox.update(rest)
        else:
            self._inbox.clear()
        by_user: dict[str, list[dict[str, Any]]] = {}
        for lines in ready:
            for line in lines.split("\n"):
                event = orjson.loads(line)
                event["ts"] = int(event["ts"])
                by_user.setdefault(str(event["user_id"]), []).append(event)
        for events in by_user.values():
            events.sort(key=lambda e: (e["ts"], str(e.get("event_id", ""))))
        return by_user

    def _count_exposures(self, by_user: dict[str, list[dict[str, Any]]]) -> None:
        """Touchpoint exposures count against the touchpoint service's caps as they arrive (at their
        ``received_at``); one whose decision the service already counted is skipped, and a replay
        after a recovery counts nothing twice (tagging/profiles/contacts.py)."""
        if self.contacts_timezone is None:
            return
        from tagging.profiles.contacts import Exposure, count_exposures

        exposures = [
            Exposure(user, str(p.get("campaign", "")), str(p.get("slot", "")), str(p.get("decision_id", "")),
                     int(e.get("received_at") or e["ts"]))
            for user, events in by_user.items()
            for e in events
            if e["event"] == EXPOSURE and (p := e.get("props") or {})
        ]  # fmt: skip
        if exposures:
            count_exposures(self._store.client, self.redis_prefix, exposures, self.contacts_timezone)

    def _within_horizon(self, ts: int | None) -> bool:
        return ts is not None and (self.horizon_ms is None or ts <= self.horizon_ms)

    def _on_event_time(self, timestamp: int, ctx: KeyedProcessFunction.OnTimerContext):  # type: ignore[no-untyped-def]
        now = max(timestamp, self.grid.settled(ctx.timer_service().current_watermark()))
        self._report_lag(now)
        if self.horizon_ms is not None:
            now = min(now, self.horizon_ms)
        by_user = self._take(now)
        self._count_exposures(by_user)
        due = self._agenda.get(timestamp)
        if due is not None:
            self._agenda.remove(timestamp)
        users = sorted(by_user.keys() | set(due.split("\n") if due else ()))
        if not users:
            return
        self._engine.set_catalogue(self._watcher.current())
        scheduled: dict[int, list[str]] = {}
        for user in users:
            yield from self._run_user(user, by_user.get(user, []), timestamp, now, scheduled, ctx)
        for release, names in scheduled.items():
            previous = self._agenda.get(release)
            self._agenda.put(release, "\n".join([previous, *names]) if previous else "\n".join(names))
            ctx.timer_service().register_event_time_timer(release)
        self._maybe_flush()

    def _run_user(  # type: ignore[no-untyped-def]
        self,
        user: str,
        events: list[dict[str, Any]],
        timestamp: int,
        now: int,
        scheduled: dict[int, list[str]],
        ctx: KeyedProcessFunction.OnTimerContext,
    ):
        """Apply ``events`` and advance ``user`` to ``now``; queue its next due release in ``scheduled``."""
        from tagging.state import UserState

        raw = self._users.get(user)
        at, _, body = raw.partition("\n") if raw else ("", "", "")
        booked = int(at) if at else None
        if not events and booked != timestamp:
            return  # a stale agenda entry: the user was rescheduled since
        if booked == timestamp:
            booked = None  # this entry has just been consumed
        state = UserState.from_bytes(body) if body else UserState(user_id=user)
        business_before = state.business.updated_at, state.business.to_tuple()
        changes = []
        for event in events:
            changes.extend(self._engine.on_event(state, event))
        changes.extend(self._engine.advance(state, now))
        next_due = self._engine.next_due(state)
        if self._within_horizon(next_due) and now < MAX_TS:
            release = self.grid.release(max(next_due, now + 1))  # type: ignore[type-var]
            if release != booked:
                scheduled.setdefault(release, []).append(user)
            booked = release
        self._users.put(user, f"{'' if booked is None else booked}\n{state.to_bytes().decode()}")
        changed_business = (state.business.updated_at, state.business.to_tuple()) != business_before
        if changes or changed_business:
            self._writer.add(user, changes, state.business if changed_business else None)
            if self._flush_timer is None:  # makes sure this write goes out even if no record follows
                wall = ctx.timer_service().current_processing_time()
                self._flush_timer = wall - wall % self.flush_interval_ms + self.flush_interval_ms
                ctx.timer_service().register_processing_time_timer(self._flush_timer)
        for c in changes:
            yield Row(CHANGE, c.user_id, c.tag, c.action, c.ts_ms, c.expires_at_ms, c.seq, c.set_at_ms, None, None)
        if changed_business:
            updated = state.business.updated_at
            yield Row(STATE, user, None, None, None, None, None, None, updated, orjson.dumps(state.business).decode())

    def _report_lag(self, now: int) -> None:
        """Every ``LAG_REPORT_S`` one log line: how far the event time being tagged trails the wall clock."""
        wall = time.time()
        if wall - self._reported >= LAG_REPORT_S:
            self._reported = wall
            logger.info("tag step at event time %d: %.0f ms behind the wall clock", now, wall * 1000 - now)

    def _maybe_flush(self) -> None:
        if self._writer.pending and time.monotonic() - self._flushed >= self.flush_interval_ms / 1000:
            self._flush()

    def _flush(self) -> None:
        self._writer.flush()
        self._flushed = time.monotonic()
