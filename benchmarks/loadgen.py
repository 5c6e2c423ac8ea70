"""A small HTTP load generator for loopback benchmarks: processes x threads, keep-alive.

Each thread posts batches of events in a closed loop for a fixed time and records the
latency of every acknowledged request. Like a real client that knows its clock, it stamps
each request as it leaves: every event gets a fresh ``event_id``, ``ts`` = now minus the
template's age and ``sent_at`` = now, so the collector derives event time as it would
live (docs/collector.md). Bounded in time and count; loopback only.
"""

from __future__ import annotations

import http.client
import multiprocessing as mp
import os
import threading
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import orjson

Template = list[dict[str, Any]]  # one batch; each event's "ts" is its age in ms when sent


@dataclass
class LoadResult:
    requests: int
    events: int
    errors: int
    seconds: float
    latencies_ms: list[float]

    def summary(self) -> dict[str, float]:
        lat = np.array(self.latencies_ms) if self.latencies_ms else np.array([0.0])
        return {
            "events_per_s": round(self.events / self.seconds, 1),
            "requests_per_s": round(self.requests / self.seconds, 1),
            "p50_ms": round(float(np.percentile(lat, 50)), 2),
            "p99_ms": round(float(np.percentile(lat, 99)), 2),
            "errors": self.errors,
        }


def stamp(template: Template, tag: str) -> bytes:
    """The body a client sends now: fresh ids, event times from their ages, ``sent_at`` = now."""
    now = time.time_ns() // 1_000_000
    return orjson.dumps(
        [{**e, "event_id": f"{tag}-{i}", "ts": now - e["ts"], "sent_at": now} for i, e in enumerate(template)]
    )


def _thread_loop(
    port: int,
    path: str,
    templates: list[Template],
    seconds: float,
    max_requests: int,
    out: list[tuple[int, int, int, list[float]]],
) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    headers = {"Content-Type": "application/json", "User-Agent": "touchstream-bench/1.0"}
    latencies: list[float] = []
    ok = errors = 0
    deadline = time.perf_counter() + seconds
    i = 0
    events = 0
    prefix = f"{os.getpid()}-{threading.get_ident()}"
    while time.perf_counter() < deadline and ok + errors < max_requests:
        template = templates[i % len(templates)]
        body = stamp(template, f"{prefix}-{i}")
        i += 1
        started = time.perf_counter()
        try:
            conn.request("POST", path, body=body, headers=headers)
            response = conn.getresponse()
            response.read()
        except (OSError, http.client.HTTPException):
            errors += 1
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            continue
        if response.status == 200:
            ok += 1
            events += len(template)
            latencies.append((time.perf_counter() - started) * 1000)
        else:
            errors += 1
    conn.close()
    out.append((ok, errors, events, latencies))


def _process(
    port: int,
    path: str,
    templates: list[Template],
    threads: int,
    seconds: float,
    max_requests: int,
    queue: mp.Queue,
) -> None:  # type: ignore[type-arg]
    out: list[tuple[int, int, int, list[float]]] = []
    workers = [
        threading.Thread(target=_thread_loop, args=(port, path, templates, seconds, max_requests, out))
        for _ in range(threads)
    ]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    queue.put(out)


def run_load(
    port: int,
    path: str,
    templates: list[Template],
    *,
    processes: int = 2,
    threads: int = 4,
    seconds: float = 10.0,
    max_requests: int = 1_000_000,
) -> LoadResult:
    ctx = mp.get_context("spawn")
    queue: mp.Queue = ctx.Queue()  # type: ignore[type-arg]
    procs = [
        ctx.Process(target=_process, args=(port, path, templates, threads, seconds, max_requests, queue))
        for _ in range(processes)
    ]
    started = time.perf_counter()
    for p in procs:
        p.start()
    results = [queue.get(timeout=seconds + 60) for _ in procs]
    for p in procs:
        p.join(30)
    elapsed = time.perf_counter() - started
    ok = sum(r[0] for res in results for r in res)
    errors = sum(r[1] for res in results for r in res)
    events = sum(r[2] for res in results for r in res)
    latencies = [x for res in results for r in res for x in r[3]]
    return LoadResult(ok, events, errors, elapsed, latencies)
