"""A circuit breaker around Redis, one per worker process.

After ``failures`` consecutive failures the breaker opens: decisions skip Redis and answer
degraded at once instead of each waiting for a timeout. After ``reset_s`` one request is
let through as a probe (half-open); its success closes the breaker, its failure opens it
for another ``reset_s``. So the service recovers by itself once Redis is back.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Literal

State = Literal["closed", "open", "half_open"]


class CircuitBreaker:
    def __init__(self, failures: int, reset_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.threshold = failures
        self.reset_s = reset_s
        self.clock = clock
        self._lock = threading.Lock()
        self._failures = 0
        self._opened_at: float | None = None
        self._probing = False

    @property
    def state(self) -> State:
        if self._opened_at is None:
            return "closed"
        return "half_open" if self._probing else "open"

    def allow(self) -> bool:
        """May this request use Redis? While open, only one probe per ``reset_s``."""
        if self._opened_at is None:
            return True
        with self._lock:
            if self._opened_at is None:
                return True
            if not self._probing and self.clock() - self._opened_at >= self.reset_s:
                self._probing = True
                return True
            return False

    def success(self) -> None:
        if self._failures or self._opened_at is not None:
            with self._lock:
                self._failures = 0
                self._opened_at = None
                self._probing = False

    def failure(self) -> None:
        with self._lock:
            self._failures += 1
            if self._probing or self._failures >= self.threshold:
                self._opened_at = self.clock()
                self._probing = False
