"""chDB backend: one long-lived session on a data directory.

chDB lets only one process open a directory, and reopening a session leaks memory
(ARCHITECTURE.md), so a backend instance keeps its session for its whole life and takes
an exclusive ``flock`` first: a second process gets :class:`WarehouseLocked` with the
owner's pid instead of chDB's opaque "Error initializing EmbeddedServer".
"""

from __future__ import annotations

import fcntl
import os
import re
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import orjson

from warehouse.base import (
    QueryResult,
    Row,
    Warehouse,
    WarehouseError,
    WarehouseLocked,
    convert_rows,
    error_for_code,
)
from warehouse.params import engine_params


class ChdbWarehouse(Warehouse):
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.url = f"chdb://{self.path}"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock_file = self._take_lock()
        from chdb import session

        try:
            self._session = session.Session(str(self.path))
        except Exception as exc:
            self._release_lock()
            raise WarehouseError(f"cannot open chDB warehouse at {self.path}: {exc}") from exc
        self._mutex = threading.Lock()  # one session, many threads (owner endpoint + loader)

    def _take_lock(self) -> Any:
        lock_path = self.path.with_name(self.path.name + ".lock")
        handle = open(lock_path, "a+")  # noqa: SIM115 - held for the backend's life
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            owner = handle.read().strip() or "another process"
            handle.close()
            raise WarehouseLocked(
                f"the embedded warehouse {self.path} is open in process {owner}; "
                "query it through that process (`touchstream sql` does so while `touchstream warehouse` "
                "or `make run` is up) or stop it first"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        return handle

    def _release_lock(self) -> None:
        if self._lock_file is not None:
            fcntl.flock(self._lock_file, fcntl.LOCK_UN)
            self._lock_file.close()
            self._lock_file = None

    def _run(self, sql: str, fmt: str = "CSV", params: dict[str, str] | None = None) -> Any:
        with self._mutex:
            try:
                return self._session.query(sql, fmt, params=params)
            except Exception as exc:
                raise _engine_error(exc) from exc

    def execute(self, sql: str) -> None:
        self._run(sql)

    def query(self, sql: str, params: Mapping[str, object] | None = None) -> QueryResult:
        bound = engine_params(sql, params) if params or "{" in sql else None
        raw = self._run(sql, "JSONCompact", bound).bytes()
        if not raw.strip():
            return QueryResult(columns=[], types=[])
        doc = orjson.loads(raw)
        columns = [m["name"] for m in doc["meta"]]
        types = [m["type"] for m in doc["meta"]]
        return QueryResult(columns=columns, types=types, rows=convert_rows(types, doc["data"]))

    def insert(self, table: str, rows: Sequence[Row]) -> int:
        if not rows:
            return 0
        columns = ", ".join(rows[0].keys())
        body = b"\n".join(orjson.dumps(row) for row in rows)
        self._run(f"INSERT INTO {table} ({columns}) FORMAT JSONEachRow\n" + body.decode())
        return len(rows)

    def close(self) -> None:
        if getattr(self, "_session", None) is not None:
            self._session.close()
            self._session = None
        self._release_lock()


def _engine_error(exc: Exception) -> WarehouseError:
    message = str(exc).strip()
    code = re.match(r"Code: (\d+)\.", message)
    return error_for_code(int(code.group(1)) if code else None, message)
