"""Saving funnel drop-offs as an audience: live tags in Redis now, membership in the warehouse later.

``save_audience`` writes ``audience:<name>`` into the live profiles at once (a campaign can
target it on its next request) with the operator's expiry, then records the members as a
JSON-lines file under ``$TOUCHSTREAM_HOME/audiences/`` (written hidden, then renamed). The
warehouse has one writer, the owner's loader: ``audience_source`` is the loader ``Source``
that moves those files into the ``audiences`` table (sql/schema/0200_audiences.sql).
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import orjson

from analytics.funnels.spec import FunnelInputError
from core.clock import now_ms as wall_clock_ms
from core.config import Settings
from core.models import StrictModel
from tagging.profiles import ProfileStore, open_store
from tagging.profiles.audiences import audience_tag, write_audience
from warehouse.base import Row
from warehouse.loader import Source

logger = logging.getLogger(__name__)

AUDIENCE_NAME = re.compile(r"[a-z0-9_]{1,48}")
MAX_USER_ID_CHARS = 256


class AudienceOrigin(StrictModel):
    """Where the members came from, recorded with them."""

    funnel: str = ""
    step_index: int = 0
    step_name: str = ""
    breakdown_value: str = ""


class SavedAudience(StrictModel):
    name: str
    tag: str
    users: int
    saved_at_ms: int
    expires_at_ms: int
    file: Path


def audience_dir(settings: Settings) -> Path:
    return settings.home / "audiences"


def check_audience_name(name: str) -> str:
    if not AUDIENCE_NAME.fullmatch(name):
        raise FunnelInputError("bad_audience_name", "an audience name is 1 to 48 of a-z, 0-9 and _")
    return name


def save_audience(
    settings: Settings,
    name: str,
    user_ids: Sequence[str],
    expires_at_ms: int,
    origin: AudienceOrigin | None = None,
    now_ms: int | None = None,
    store: ProfileStore | None = None,
) -> SavedAudience:
    """Tag ``user_ids`` with ``audience:<name>`` until ``expires_at_ms`` and record the membership.

    Saving a name again refreshes its members' tags and adds the new ones; earlier members
    keep theirs until their own expiry."""
    check_audience_name(name)
    now = wall_clock_ms() if now_ms is None else now_ms
    if expires_at_ms <= now:
        raise FunnelInputError("expiry_in_past", "the audience must expire in the future")
    if not user_ids:
        raise FunnelInputError("empty_audience", "no users to save: the drop-off is empty")
    if any(not u or len(u) > MAX_USER_ID_CHARS for u in user_ids):
        raise FunnelInputError("bad_user_id", f"user ids must be 1 to {MAX_USER_ID_CHARS} characters")
    members = list(dict.fromkeys(user_ids))
    own_store = store is None
    store = store or open_store(settings)
    try:
        write_audience(store, name, members, now, expires_at_ms)
    finally:
        if own_store:
            store.close()
    path = _record(audience_dir(settings), name, members, now, expires_at_ms, origin or AudienceOrigin())
    logger.info("audience %s: %d users tagged until %d, recorded in %s", name, len(members), expires_at_ms, path)
    return SavedAudience(
        name=name, tag=audience_tag(name), users=len(members), saved_at_ms=now, expires_at_ms=expires_at_ms, file=path
    )


def _record(
    directory: Path, name: str, members: list[str], now: int, expires_at_ms: int, origin: AudienceOrigin
) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{now:013d}-{name}.jsonl"
    hidden = directory / f".{path.name}"
    base = {"audience": name, "saved_ms": now, "expires_at_ms": expires_at_ms, **origin.model_dump()}
    with hidden.open("wb") as handle:
        for user_id in members:
            handle.write(orjson.dumps(base | {"user_id": user_id}) + b"\n")
        handle.flush()
        os.fsync(handle.fileno())
    hidden.replace(path)
    return path


def audience_row(record: dict[str, Any], _file: str = "", _line: int = 0) -> Row:
    """A line of an audience file as an ``audiences_raw`` row; ValueError (a bad line) on a bad name."""
    name, saved_ms = str(record["audience"]), int(record["saved_ms"])
    if not AUDIENCE_NAME.fullmatch(name):
        raise ValueError(f"not an audience name: {name!r}")
    return {
        "audience": name,
        "user_id": str(record["user_id"]),
        "saved_at": saved_ms // 1000,
        "saved_ms": saved_ms,
        "expires_at_ms": int(record["expires_at_ms"]),
        "funnel": str(record.get("funnel") or ""),
        "step_index": int(record.get("step_index") or 0),
        "step_name": str(record.get("step_name") or ""),
        "breakdown_value": str(record.get("breakdown_value") or ""),
    }


def audience_source(settings: Settings) -> Source:
    """The loader source for saved audiences (composed by `touchstream warehouse`)."""
    return Source("audiences", audience_dir(settings), "audiences_raw", audience_row, suffix=".jsonl")
