"""Run the engine over a whole world the way the Flink job does: referral credits routed
through a share_id-keyed ReferralRouter, each user's events in order, checkpoints as advances."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from tagging.changes import TagChange
from tagging.engine import TagEngine
from tagging.referrals import ReferralRouter, ShareRecord, referral_key
from tagging.state import UserState


def with_credits(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The events plus the referral credits, each credit right after the visit that earned it."""
    router = ReferralRouter()
    records: dict[str, ShareRecord | None] = {}
    out = []
    for e in events:
        out.append(e)
        key = referral_key(e)
        if key is not None:
            records[key], credit = router.on_event(records.get(key), e)
            if credit is not None:
                out.append(credit)
    return out


def run_world(
    engine: TagEngine, events: list[dict[str, Any]], checkpoints: Iterable[int], serialise: bool = False
) -> tuple[dict[int, dict[str, dict[str, int | None]]], dict[str, list[TagChange]]]:
    """Feed everything; at each checkpoint advance every user. Returns the tags at each checkpoint
    ({user: {tag: expires_at}}) and every user's changes. ``serialise`` round-trips states
    through bytes between calls, as Flink's ValueState does."""
    states: dict[str, UserState | bytes] = {}
    changes: dict[str, list[TagChange]] = defaultdict(list)

    def get(user: str) -> UserState:
        s = states.get(user) or UserState()
        return UserState.from_bytes(s) if isinstance(s, bytes) else s

    def put(user: str, state: UserState) -> None:
        states[user] = state.to_bytes() if serialise else state

    snapshots = {}
    pending = sorted(checkpoints)
    stream = with_credits(events)
    i = 0
    for at in [*pending, None]:
        while i < len(stream) and (at is None or stream[i]["ts"] <= at):
            e = stream[i]
            state = get(e["user_id"])
            changes[e["user_id"]] += engine.on_event(state, e)
            put(e["user_id"], state)
            i += 1
        if at is None:
            break
        snapshot = {}
        for user in list(states):
            state = get(user)
            changes[user] += engine.advance(state, at)
            put(user, state)
            if state.tags:
                snapshot[user] = {tag: v[1] for tag, v in state.tags.items()}
        snapshots[at] = snapshot
    return snapshots, changes
