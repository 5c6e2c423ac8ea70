"""A small, deterministic event world for the job tests, written as event-log segments.

It exercises every path of the job: browsing and ordering tags, an abandoned flow, a share
with visits by other users (referral credits), back-end business events, client retries
(duplicate event_ids in a later segment), bounded disorder (< the allowed lateness), one
event far behind the others (late), and lines that are not events.
"""

from __future__ import annotations

import os
import random
from pathlib import Path
from typing import Any

import orjson

T0 = 1_790_000_040_000  # a minute boundary (UTC)
SECOND = 1000
LATENESS_MS = 10_000
USERS = [f"u{i}" for i in range(8)]
BAD_LINES = [b"this is not json", b'{"event_id": "x1", "channel": "app", "event": "click", "ts": 1}']


def _event(n: int, user: str, name: str, ts: int, **props: Any) -> dict[str, Any]:
    return {
        "event_id": f"e{n:05d}",
        "user_id": user,
        "channel": ("app", "web", "wechat")[n % 3],
        "event": name,
        "ts": ts,
        "session_id": f"s-{user}",
        "page": f"/{props.get('business', 'home')}",
        "props": props,
        "received_at": ts + 40,
        "ip": "127.0.0.1",
        "ua_browser": "",
        "ua_os": "",
        "ua_device": "",
    }


def world(seed: int = 7) -> list[dict[str, Any]]:
    """Events in the order the collector received them (ts order with a few seconds of jitter)."""
    rng = random.Random(seed)
    events: list[dict[str, Any]] = []
    t = T0
    n = 0

    def add(user: str, name: str, **props: Any) -> None:
        nonlocal n, t
        n += 1
        t += rng.randrange(200, 2500)
        events.append(_event(n, user, name, t, **props))

    add("u1", "share", business="plan", campaign="c1", share_id="share-1")
    for round_ in range(12):
        for user in USERS:
            r = rng.random()
            if r < 0.35:
                add(user, "page_view", business=rng.choice(["plan", "broadband", "data_pack"]))
            elif r < 0.5:
                add(user, "flow_step", flow="plan_upgrade", step=1 + round_ % 2, business="plan")
            elif r < 0.6:
                add(user, "page_view", business="plan", ref_share_id="share-1")
            elif r < 0.7:
                add(user, "order_success", business="data_pack", product="dp-1", amount=10.0)
            elif r < 0.8:
                add(user, rng.choice(["arrears", "topup"]), amount=5.0, amount_due=5.0)
            else:
                add(user, "click", element="banner", business="plan")
    # arrival order: ts plus up to 3 s of network jitter (well inside the allowed lateness)
    received = sorted(events, key=lambda e: e["ts"] + rng.randrange(0, 3000))
    for i, e in enumerate(received):
        e["received_at"] = T0 + i * 50
    return received


def late_event(events: list[dict[str, Any]]) -> dict[str, Any]:
    """An event stamped two minutes before the newest one: its window has closed."""
    newest = max(e["ts"] for e in events)
    return _event(99_999, "u3", "page_view", newest - 120 * SECOND, business="broadband")


def late_fact(events: list[dict[str, Any]]) -> dict[str, Any]:
    """An order two minutes behind the newest event (an offline app flushing): late, but a fact
    (contract ``late: apply``), so it still reaches the tag engine."""
    newest = max(e["ts"] for e in events)
    return _event(99_998, "u5", "order_success", newest - 120 * SECOND, business="handset", product="p", amount=1.0)


def segment_lines(events: list[dict[str, Any]], segments: int) -> list[list[bytes]]:
    """Split into segments, add retries of a few events to later segments, bad lines, a late event
    and a late fact."""
    lines = [orjson.dumps(e) for e in events]
    size = -(-len(lines) // segments)
    chunks = [lines[i : i + size] for i in range(0, len(lines), size)]
    for k in range(1, len(chunks)):
        chunks[k].append(chunks[k - 1][0])  # a client retry: same event_id, same ts, next segment
    # another user's client reusing an event id: a different event, not a duplicate
    borrowed = orjson.loads(chunks[0][1])
    other = next(u for u in USERS if u != borrowed["user_id"])
    chunks[0].insert(2, orjson.dumps({**borrowed, "user_id": other}))  # right after it: on time
    chunks[1].insert(3, BAD_LINES[0])
    chunks[-2].append(BAD_LINES[1])
    chunks[-1].insert(len(chunks[-1]) // 2, orjson.dumps(late_event(events)))
    chunks[-1].insert(len(chunks[-1]) // 2 + 1, orjson.dumps(late_fact(events)))
    return chunks


def unique_ids(chunks: list[list[bytes]]) -> set[tuple[str, str]]:
    """The distinct events: ``(user_id, event_id)``, the job's dedup key."""
    ids = set()
    for chunk in chunks:
        for line in chunk:
            try:
                record = orjson.loads(line)
            except orjson.JSONDecodeError:
                continue
            if record.get("user_id"):
                ids.add((record["user_id"], record["event_id"]))
    return ids


def write_segment(directory: Path, name: str, lines: list[bytes]) -> Path:
    """Write hidden, fsync, rename into view: how the collector publishes a segment."""
    directory.mkdir(parents=True, exist_ok=True)
    hidden, final = directory / f".{name}", directory / name
    with hidden.open("wb") as handle:
        handle.write(b"".join(line + b"\n" for line in lines))
        handle.flush()
        os.fsync(handle.fileno())
    hidden.rename(final)
    return final


def segment_name(index: int) -> str:
    return f"seg-{T0 + index * 1000:013d}-{1000:d}-{index:06d}.jsonl"


def write_segments(directory: Path, chunks: list[list[bytes]], names: list[str] | None = None) -> list[Path]:
    names = names or [segment_name(i) for i in range(len(chunks))]
    return [write_segment(directory, name, chunk) for name, chunk in zip(names, chunks, strict=True)]
