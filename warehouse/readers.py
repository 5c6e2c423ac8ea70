"""A few connections reserved for people's queries, apart from the loader's.

A person's runaway query then holds one reader connection for at most the time limit and
never the connection the loader inserts through; when every reader is busy, the next
person waits at most that long and gets :class:`WarehouseBusy` instead of hanging.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Generic, TypeVar

from warehouse.base import WarehouseBusy, WarehouseError

logger = logging.getLogger(__name__)

Connection = TypeVar("Connection")


class ReaderPool(Generic[Connection]):
    """At most ``size`` connections, opened on first use and kept for reuse."""

    def __init__(self, open_reader: Callable[[], Connection], close_reader: Callable[[Connection], None], size: int):
        self._open, self._close, self.size = open_reader, close_reader, size
        self._slots = threading.BoundedSemaphore(size)
        self._lock = threading.Lock()
        self._idle: list[Connection] = []
        self._closed = False

    @contextmanager
    def reader(self, wait_s: float) -> Iterator[Connection]:
        if not self._slots.acquire(timeout=wait_s):
            raise WarehouseBusy(f"all {self.size} reader connections stayed busy for {wait_s:g}s; try again")
        try:
            with self._lock:
                if self._closed:
                    raise WarehouseError("the warehouse is closing")
                connection = self._idle.pop() if self._idle else None
            if connection is None:
                connection = self._open()
            try:
                yield connection
            finally:
                with self._lock:
                    keep = not self._closed
                    if keep:
                        self._idle.append(connection)
                if not keep:
                    self._close(connection)
        finally:
            self._slots.release()

    def close(self) -> None:
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for connection in idle:
            try:
                self._close(connection)
            except Exception:
                logger.exception("closing a reader connection failed")
