"""A small HTTP load generator for loopback benchmarks: processes x threads, keep-alive.

Each thread posts pre-encoded bodies in a closed loop for a fixed time and records the
latency of every acknowledged request. Bounded in time and count; loopback only.
"""

from __future__ import annotations

import http.client
import multiprocessing as mp
import threading
import time
from dataclasses import dataclass

import numpy as np


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


def _thread_loop(
    port: int,
    path: str,
    bodies: list[bytes],
    per_body: int,
    seconds: float,
    max_requests: int,
    out: list[tuple[int, int, list[float]]],
) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    headers = {"Content-Type": "application/json", "User-Agent": "touchstream-bench/1.0"}
    latencies: list[float] = []
    ok = errors = 0
    deadline = time.perf_counter() + seconds
    i = 0
    while time.perf_counter() < deadline and ok + errors < max_requests:
        body = bodies[i % len(bodies)]
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
            latencies.append((time.perf_counter() - started) * 1000)
        else:
            errors += 1
    conn.close()
    out.append((ok, errors, latencies))


def _process(
    port: int,
    path: str,
    bodies: list[bytes],
    per_body: int,
    threads: int,
    seconds: float,
    max_requests: int,
    queue: mp.Queue,
) -> None:  # type: ignore[type-arg]
    out: list[tuple[int, int, list[float]]] = []
    workers = [
        threading.Thread(target=_thread_loop, args=(port, path, bodies, per_body, seconds, max_requests, out))
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
    bodies: list[bytes],
    events_per_body: int,
    *,
    processes: int = 2,
    threads: int = 4,
    seconds: float = 10.0,
    max_requests: int = 1_000_000,
) -> LoadResult:
    ctx = mp.get_context("spawn")
    queue: mp.Queue = ctx.Queue()  # type: ignore[type-arg]
    procs = [
        ctx.Process(target=_process, args=(port, path, bodies, events_per_body, threads, seconds, max_requests, queue))
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
    latencies = [x for res in results for r in res for x in r[2]]
    return LoadResult(ok, ok * events_per_body, errors, elapsed, latencies)
