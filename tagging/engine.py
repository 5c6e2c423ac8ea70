"""The tag engine: per-user state machines for every tag family, driven by event time only.

Engine-agnostic (the Flink job calls it from a KeyedProcessFunction keyed by a shard of users):
events arrive per user in non-decreasing event time, already deduplicated. Time moves
only with events and :meth:`TagEngine.advance`; whatever falls due at ``t`` happens at
exactly ``t``, before the events stamped ``t``. The output depends only on the events
(and the catalogue in force), never on how calls are batched.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from core.clock import DAY_MS, MINUTE_MS
from tagging.business import update_business
from tagging.catalogue import TagCatalogue
from tagging.changes import Action, TagChange
from tagging.families import AbandonedParams, BrowserParams, ChurnParams, RecentParams, ReferrerParams
from tagging.referrals import REFERRAL_EVENT
from tagging.state import UserState

logger = logging.getLogger(__name__)

MAX_FIRINGS = 1_000_000  # per call: a guard against a bug turning into an endless loop

# Windowed families: the event that counts, the prop naming the subject, and the event
# that blocks (browser: an order of the business line).
_HIT_EVENT = {
    "browser": "page_view",
    "orderer": "order_success",
    "sharer": "share",
    "referrer": REFERRAL_EVENT,
    "key_touchpoint_clicker": "touchpoint_click",
}
_SUBJECT_PROP = {
    "page_view": "business",
    "order_success": "business",
    "share": "business",
    REFERRAL_EVENT: "business",
    "touchpoint_click": "slot",
}

# Firing order of things due at the same instant (then by tag name).
_EXPIRE, _CLOSE, _WINDOW, _CHURN = range(4)


@dataclass(frozen=True)
class _Window:
    """``min_count`` hits within ``window_ms`` and no block in it (browser, orderer, ...)."""

    tag: str
    min_count: int
    window_ms: int


@dataclass(frozen=True)
class _Abandon:
    tag: str
    flow: str
    last_step: int
    window_ms: int
    retention_ms: int


@dataclass(frozen=True)
class _Churn:
    tag: str
    min_days: int
    lookback_days: int
    quiet_ms: int
    events: frozenset[str]


class TagEngine:
    """Computes :class:`TagChange` s from a user's events; holds no per-user data itself."""

    def __init__(self, catalogue: TagCatalogue) -> None:
        self.set_catalogue(catalogue)

    # -- definitions ---------------------------------------------------------------------

    def set_catalogue(self, catalogue: TagCatalogue) -> None:
        """Use new definitions from now on (a reload). Existing user state is kept; each
        user is reconciled on its next call: removed tags are cleared, windowed tags are
        re-evaluated with their new parameters; windows already open keep their due time."""
        if getattr(self, "catalogue", None) is catalogue:
            return
        self.catalogue = catalogue
        self.fingerprint = catalogue.fingerprint
        self._facts = frozenset(n for n, spec in catalogue.contract.events.items() if spec.late == "apply")
        self._windows: dict[str, _Window] = {}
        self._hits: dict[tuple[str, Any], list[_Window]] = {}
        self._blocks: dict[tuple[str, Any], list[_Window]] = {}
        self._abandon: dict[str, _Abandon] = {}
        self._by_flow: dict[str, list[_Abandon]] = {}
        self._by_business: dict[str, list[_Abandon]] = {}
        self._churn: dict[str, _Churn] = {}
        self._churn_by_event: dict[str, list[_Churn]] = {}
        flows = catalogue.contract.flows
        for tag in sorted(catalogue.tags.values(), key=lambda t: t.name):
            p = tag.params
            if isinstance(p, AbandonedParams):
                flow = flows[str(tag.subject)]
                rule = _Abandon(
                    tag.name,
                    str(tag.subject),
                    flow.last_step,
                    p.window_minutes * MINUTE_MS,
                    p.retention_days * DAY_MS,
                )
                self._abandon[tag.name] = rule
                self._by_flow.setdefault(rule.flow, []).append(rule)
                self._by_business.setdefault(flow.business, []).append(rule)
            elif isinstance(p, ChurnParams):
                churn = _Churn(
                    tag.name,
                    p.min_active_days,
                    p.lookback_days,
                    p.quiet_days * DAY_MS,
                    frozenset(p.activity_events),
                )
                self._churn[tag.name] = churn
                for name in sorted(churn.events):
                    self._churn_by_event.setdefault(name, []).append(churn)
            else:
                count = (
                    p.min_views
                    if isinstance(p, BrowserParams)
                    else (p.min_visits if isinstance(p, ReferrerParams) else 1)
                )
                assert isinstance(p, BrowserParams | RecentParams | ReferrerParams)
                window = _Window(tag.name, count, p.window_days * DAY_MS)
                self._windows[tag.name] = window
                self._hits.setdefault((_HIT_EVENT[tag.family], tag.subject), []).append(window)
                if tag.family == "browser":
                    self._blocks.setdefault(("order_success", tag.subject), []).append(window)

    # -- public API ----------------------------------------------------------------------

    def on_event(self, state: UserState, event: dict[str, Any]) -> list[TagChange]:
        """Advance the user's clock to the event's time (firing what is due), then apply it.

        An event older than the user's clock (late) is applied at the clock.
        """
        out: list[TagChange] = []
        if not state.user_id:
            state.user_id = str(event["user_id"])
        self._reconcile(state, out)
        ts = int(event["ts"])
        self._run_until(state, ts, out)
        if ts < state.clock:
            logger.debug("late event %s of %s: %d < clock %d", event.get("event_id"), state.user_id, ts, state.clock)
        state.clock = max(state.clock, ts)
        self._apply(state, event, state.clock, out)
        return out

    def advance(self, state: UserState, now_ms: int) -> list[TagChange]:
        """Fire windows and expiries due at or before ``now_ms``, in time order, each at its due time."""
        out: list[TagChange] = []
        self._reconcile(state, out)
        self._run_until(state, now_ms, out)
        state.clock = max(state.clock, now_ms)
        return out

    def next_due(self, state: UserState) -> int | None:
        """When the next window or expiry of this user falls due (for an event-time timer)."""
        due = self._due(state)
        return min(d[0] for d in due) if due else None

    # -- time ----------------------------------------------------------------------------

    def _due(self, state: UserState) -> list[tuple[int, int, str]]:
        items: list[tuple[int, int, str]] = []
        for tag, due in state.pending.items():
            if tag in self._abandon:
                items.append((due, _CLOSE, tag))
        for tag, (_, expires) in state.tags.items():
            if tag in self._abandon and expires is not None:
                items.append((expires, _EXPIRE, tag))
        for tag in state.hits.keys() | state.blocks.keys():
            rule = self._windows.get(tag)
            if rule is None:
                continue
            hits, block = state.hits.get(tag, []), state.blocks.get(tag)
            counted = hits[-rule.min_count] + rule.window_ms if len(hits) >= rule.min_count else None
            if tag in state.tags and counted is not None:
                items.append((counted, _WINDOW, tag))  # the count drops below the minimum
            elif block is not None and counted is not None and counted > block + rule.window_ms:
                items.append((block + rule.window_ms, _WINDOW, tag))  # the block ends while the count holds
        for tag, due in state.quiet_due.items():
            if tag in self._churn:
                items.append((due, _CHURN, tag))
        return items

    def _run_until(self, state: UserState, now: int, out: list[TagChange]) -> None:
        for _ in range(MAX_FIRINGS):
            items = self._due(state)
            if not items:
                return
            when = min(d[0] for d in items)
            if when > now:
                return
            at = max(when, state.clock)
            state.clock = at
            for _, kind, tag in sorted(d for d in items if d[0] == when):
                self._fire(state, kind, tag, at, out)
        raise RuntimeError(f"tag engine: timers of {state.user_id} do not converge")

    def _fire(self, state: UserState, kind: int, tag: str, at: int, out: list[TagChange]) -> None:
        if kind == _EXPIRE:
            if tag in state.tags:
                self._emit(state, tag, "cleared", at, None, out)
        elif kind == _CLOSE:
            state.pending.pop(tag, None)
            self._emit(state, tag, "set", at, at + self._abandon[tag].retention_ms, out)
        elif kind == _WINDOW:
            self._evaluate_window(state, self._windows[tag], at, out)
        else:
            self._fire_churn(state, self._churn[tag], at, out)

    # -- events --------------------------------------------------------------------------

    def _apply(self, state: UserState, event: dict[str, Any], t: int, out: list[TagChange]) -> None:
        name = event["event"]
        props = event.get("props") or {}
        if name != REFERRAL_EVENT:
            update_business(state.business, name, props, t, self._facts)
        for churn in self._churn_by_event.get(name, ()):
            self._activity(state, churn, t, out)
        if name == "flow_step":
            step = props.get("step")
            for rule in self._by_flow.get(props.get("flow"), ()):
                if isinstance(step, int) and step >= rule.last_step:
                    self._complete(state, rule, t, out)
                else:
                    state.pending[rule.tag] = t + rule.window_ms
        elif name == "order_success":
            flow = props.get("flow")
            rules = self._by_flow.get(flow, ()) if flow else self._by_business.get(props.get("business"), ())
            for rule in rules:
                self._complete(state, rule, t, out)
        prop = _SUBJECT_PROP.get(name)
        if prop is None:
            return
        subject = props.get(prop)
        for rule in self._blocks.get((name, subject), ()):
            state.blocks[rule.tag] = t
            self._evaluate_window(state, rule, t, out)
        for rule in self._hits.get((name, subject), ()):
            hits = state.hits.setdefault(rule.tag, [])
            hits.append(t)
            del hits[: -rule.min_count]
            self._evaluate_window(state, rule, t, out)

    def _complete(self, state: UserState, rule: _Abandon, t: int, out: list[TagChange]) -> None:
        state.pending.pop(rule.tag, None)
        if rule.tag in state.tags:
            self._emit(state, rule.tag, "cleared", t, None, out)

    def _evaluate_window(self, state: UserState, rule: _Window, t: int, out: list[TagChange]) -> None:
        tag, window = rule.tag, rule.window_ms
        hits = [h for h in state.hits.get(tag, ()) if h + window > t][-rule.min_count :]
        if hits:
            state.hits[tag] = hits
        else:
            state.hits.pop(tag, None)
        block = state.blocks.get(tag)
        if block is not None and block + window <= t:
            del state.blocks[tag]
            block = None
        current = state.tags.get(tag)
        if len(hits) >= rule.min_count and block is None:
            expires = hits[-rule.min_count] + window
            if current is None or current[1] != expires:
                self._emit(state, tag, "set", t, expires, out)
        elif current is not None:
            self._emit(state, tag, "cleared", t, None, out)

    def _activity(self, state: UserState, churn: _Churn, t: int, out: list[TagChange]) -> None:
        tag = churn.tag
        if tag in state.tags:
            self._emit(state, tag, "cleared", t, None, out)
        day = t // DAY_MS
        days = state.days.setdefault(tag, [])
        if not days or days[-1] != day:
            days.append(day)
        first = day - churn.lookback_days + 1
        if days[0] < first:
            state.days[tag] = [d for d in days if d >= first]
        state.last_active[tag] = t
        state.quiet_due[tag] = t + churn.quiet_ms

    def _fire_churn(self, state: UserState, churn: _Churn, at: int, out: list[TagChange]) -> None:
        state.quiet_due.pop(churn.tag, None)
        first = state.last_active.get(churn.tag, 0) // DAY_MS - churn.lookback_days + 1
        if sum(1 for d in state.days.get(churn.tag, ()) if d >= first) >= churn.min_days:
            self._emit(state, churn.tag, "set", at, None, out)

    # -- output --------------------------------------------------------------------------

    def _emit(
        self, state: UserState, tag: str, action: Action, t: int, expires: int | None, out: list[TagChange]
    ) -> None:
        state.seq += 1
        set_at = None
        if action == "set":
            previous = state.tags.get(tag)
            set_at = previous[0] if previous else t
            state.tags[tag] = [set_at, expires]
        else:
            state.tags.pop(tag, None)
        out.append(TagChange(state.user_id, tag, action, t, expires, state.seq, set_at))

    def _reconcile(self, state: UserState, out: list[TagChange]) -> None:
        """Bring a state made under other definitions in line with the current ones."""
        if state.catalogue == self.fingerprint:
            return
        known = self.catalogue.tags
        for tag in sorted(state.tags):
            if tag not in known:
                self._emit(state, tag, "cleared", state.clock, None, out)
        for memory in (
            state.hits,
            state.blocks,
            state.pending,
            state.days,
            state.last_active,
            state.quiet_due,
        ):
            for tag in [t for t in memory if t not in known]:
                del memory[tag]
        for tag in sorted(state.tags.keys() & self._windows.keys()):
            self._evaluate_window(state, self._windows[tag], state.clock, out)
        state.catalogue = self.fingerprint


def replay(engine: TagEngine, state: UserState, events: Iterable[dict[str, Any]]) -> list[TagChange]:
    """Feed a user's events in order; a convenience for tests, tools and batch backfills."""
    out: list[TagChange] = []
    for event in events:
        out.extend(engine.on_event(state, event))
    return out
