"""Today's generated traffic, sent to the collector as it happens (the demo's live half).

The demo's world covers the past days and today. What happened before the stack started is
imported (ingest/importer.py, in time order); the rest is sent here in real time: each event
when the wall clock reaches its ``ts``, stamped with ``sent_at`` like a real client, in
order, one request at a time per tick. It keeps the stream's event time moving, so recent
facts (a top-up, an order) reach the live profiles within about a second.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from typing import Any

import orjson

from core.clock import now_ms
from touchstream.traffic.send import Batch, BatchSender, SendReport, backend_event_names, retry_policy

logger = logging.getLogger(__name__)


class LiveReplay:
    """Sends ``events`` (sorted by ``ts``) when their time comes, until stopped or exhausted."""

    def __init__(self, events: Iterator[dict[str, Any]], collector_url: str, backend_key: str, tick_s: float = 0.2):
        self.events = events
        self.tick_s = tick_s
        self.report = SendReport()
        self._sender = BatchSender(collector_url.rstrip("/") + "/v1/collect", backend_key, self.report, retry_policy())
        self._backend = backend_event_names()
        self._next: dict[str, Any] | None = next(self.events, None)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="live-traffic", daemon=True)

    def start(self) -> LiveReplay:
        self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> SendReport:
        self._stop.set()
        self._thread.join(timeout)
        self._sender.close()
        return self.report

    def _run(self) -> None:
        while self._next is not None and not self._stop.wait(self.tick_s):
            try:
                self._send_due(now_ms())
            except Exception:  # the demo goes on without live traffic rather than dying
                logger.exception("live traffic stopped")
                return

    def _send_due(self, now: int) -> None:
        due: dict[tuple[str, bool], list[bytes]] = {}
        while self._next is not None and self._next["ts"] <= now:
            event = {**self._next, "sent_at": now}
            key = (str(event["channel"]), event["event"] in self._backend)
            due.setdefault(key, []).append(orjson.dumps(event))
            self._next = next(self.events, None)
        for (channel, backend), lines in due.items():
            self._sender.post(Batch(channel, backend, lines))
