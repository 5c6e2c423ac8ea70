"""Every decision goes to the event log as ``touchpoint_decision`` events, off the answer's path.

A request hands its records to a bounded queue and returns; one background thread per
worker sleeps 100 ms after the first record arrives, then takes everything queued and
appends it to a :class:`~ingest.segments.SegmentWriter` on the event log directory, which
fsyncs it and publishes segments within a second. Gathering matters: a thread woken for
every request, and an fsync per request, cost more CPU than the decision itself
(docs/BENCHMARKS.md). A crash can lose the last 100 ms of records, which no one was told
were durable. The files use the collector's ``seg`` prefix on purpose: segment names sort by the
time of their first write, and the stream job reads them in name order, so decision events
interleave with the collected ones in time order (docs/CONTRACTS.md). Each writer holds a
``flock`` on its hidden file, so the collector's orphan recovery never touches a live one.

If the disk stalls long enough to fill the queue (50k requests), further records are dropped and counted
(``touchstream_touchpoints_decision_log_dropped_total``) rather than slowing the answers.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import orjson

from ingest.segments import SegmentWriter

logger = logging.getLogger(__name__)

DEFAULT_QUEUE = 50_000  # requests
DEFAULT_GATHER_S = 0.1
MAX_SUPPRESSED_CHARS = 512


class DecisionLog:
    def __init__(
        self,
        directory: Path,
        *,
        max_queue: int = DEFAULT_QUEUE,
        max_age_s: float = 1.0,
        gather_s: float = DEFAULT_GATHER_S,
        on_drop: Callable[[int], None] = lambda _n: None,
    ) -> None:
        self.gather_s = gather_s
        self.writer = SegmentWriter(directory, max_age_s=max_age_s)
        self._queue: queue.Queue[list[dict[str, Any]] | None] = queue.Queue(max_queue)
        self._on_drop = on_drop
        self._thread = threading.Thread(target=self._run, name="decision-log", daemon=True)
        self._closed = False
        self._thread.start()

    def submit(self, records: list[dict[str, Any]]) -> None:
        """Queue one request's records; never blocks."""
        try:
            self._queue.put_nowait(records)
        except queue.Full:
            logger.error("decision log queue full: dropped %d records", len(records))
            self._on_drop(len(records))

    def _run(self) -> None:
        done = False
        while not done:
            batches = [self._queue.get()]  # idle: sleep until there is something
            if batches[0] is not None:
                time.sleep(self.gather_s)  # then gather without being woken per request
            while batches[-1] is not None:
                try:
                    batches.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            done = batches[-1] is None
            lines = b"".join(orjson.dumps(r) + b"\n" for records in batches if records for r in records)
            self._write(lines)

    def _write(self, lines: bytes) -> None:
        delay = 0.05
        for attempt in range(8):
            try:
                self.writer.append(lines)
                return
            except OSError:
                logger.exception("decision log write failed (attempt %d)", attempt + 1)
                time.sleep(delay)
                delay = min(delay * 2, 2.0)
        logger.error("decision log: gave up on %d bytes of records", len(lines))

    def close(self, timeout: float = 10.0) -> None:
        """Write what is queued, publish the segment."""
        if self._closed:
            return
        self._closed = True
        self._queue.put(None)
        self._thread.join(timeout)
        self.writer.close()


def bounded(pairs: Iterable[tuple[str, str]], limit: int = MAX_SUPPRESSED_CHARS) -> str:
    """``campaign:reason`` pairs joined by ``;``, cut at a whole pair to fit ``limit`` characters;
    a trailing ``…`` marks a cut list."""
    parts = [f"{campaign}:{reason}" for campaign, reason in pairs]
    text = ";".join(parts)
    if len(text) <= limit:
        return text
    kept: list[str] = []
    size = 0
    for part in parts:
        if size + len(part) + 1 + len(";…") > limit:
            break
        kept.append(part)
        size += len(part) + 1
    return ";".join([*kept, "…"])
