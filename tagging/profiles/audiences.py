"""Audience tags: ``audience:<name>`` set on many users at once, outside the tag engine.

An operator saves the users who dropped out of a funnel as an audience; campaigns target it
like any behaviour tag (tags hash ``<prefix>:{<user>}:tags``, field ``audience:<name>`` =
``"<set_at_ms>:<expires_at_ms>"``, docs/tags.md). It goes through the same idempotent writer
as the stream job's changes, so saving the same audience again simply refreshes it. The tag
engine never emits ``audience:`` tags, so the two writers never contend for one field.
"""

from __future__ import annotations

from collections.abc import Iterable

from tagging.changes import TagChange
from tagging.profiles.base import ProfileStore

AUDIENCE_TAG_PREFIX = "audience:"


def audience_tag(name: str) -> str:
    return AUDIENCE_TAG_PREFIX + name


def write_audience(
    store: ProfileStore, name: str, user_ids: Iterable[str], now_ms: int, expires_at_ms: int, batch: int = 1000
) -> int:
    """Set ``audience:<name>`` on every user now, until ``expires_at_ms``; returns the number of users."""
    tag = audience_tag(name)
    count = 0
    with store.writer(max_pending=batch) as writer:
        for user_id in user_ids:
            change = TagChange(user_id, tag, "set", ts_ms=now_ms, expires_at_ms=expires_at_ms, seq=0, set_at_ms=now_ms)
            writer.add(user_id, [change])
            count += 1
    return count
