"""chDB backend: one long-lived session on a data directory, plus reader sessions.

chDB lets only one process open a directory, and reopening a session leaks memory
(docs/architecture.md), so a backend instance keeps its session for its whole life and takes
an exclusive ``flock`` first: a second process gets :class:`WarehouseLocked` with the
owner's pid instead of chDB's opaque "Error initializing EmbeddedServer".

People's statements run on separate sessions of the same directory (chDB keeps settings
per session): each is set to the limits and then ``readonly=1``, so it cannot write, and a
runaway query there never holds the session the loader inserts through.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import orjson
from clickhouse_driver.util.escape import escape_param

from core.config import ReadOnlyLimits
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
from warehouse.readers import ReaderPool
from warehouse.readonly import check_statement, engine_settings


class ChdbWarehouse(Warehouse):
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.url = f"chdb://{self.path}"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock_file = self._take_lock()
        from chdb import session

        try:
            self._session = session.Session(str(self.path))
            _configure(self._session, OUTPUT_SETTINGS)
        except Exception as exc:
            self._release_lock()
            raise WarehouseError(f"cannot open chDB warehouse at {self.path}: {exc}") from exc
        self._mutex = threading.Lock()  # one session, many threads (owner endpoint + loader)
        self._readers: dict[ReadOnlyLimits, ReaderPool[Any]] = {}
        self._pools_lock = threading.Lock()

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
            return _run_on(self._session, sql, fmt, params)

    def execute(self, sql: str) -> None:
        self._run(sql)

    def query(self, sql: str, params: Mapping[str, object] | None = None) -> QueryResult:
        bound = engine_params(sql, params) if params or "{" in sql else None
        return _result(self._run(sql, "JSONCompact", bound))

    def query_untrusted(self, sql: str, params: Mapping[str, object] | None, limits: ReadOnlyLimits) -> QueryResult:
        with self._reader_pool(limits).reader(limits.max_execution_s) as reader:
            statement = check_statement(_parsed(reader, sql))  # the engine's own parse, and what runs
            return _result(_run_on(reader, statement, "JSONCompact", engine_params(statement, params)))

    def _reader_pool(self, limits: ReadOnlyLimits) -> ReaderPool[Any]:
        with self._pools_lock:
            if limits not in self._readers:
                self._readers[limits] = ReaderPool(
                    lambda: self._open_reader(limits), lambda reader: reader.close(), limits.max_concurrent
                )
            return self._readers[limits]

    def _open_reader(self, limits: ReadOnlyLimits) -> Any:
        from chdb import session

        reader = session.Session(str(self.path))
        try:
            _configure(reader, {**OUTPUT_SETTINGS, **engine_settings(limits)})
            applied = _result(_run_on(reader, "SELECT getSetting('readonly')", "JSONCompact")).scalar()
            if int(applied) != 1:
                raise WarehouseError(f"chDB did not apply readonly=1 to a reader session (got {applied!r})")
        except BaseException:
            reader.close()
            raise
        return reader

    def insert(self, table: str, rows: Sequence[Row]) -> int:
        if not rows:
            return 0
        columns = ", ".join(rows[0].keys())
        body = b"\n".join(orjson.dumps(row) for row in rows)
        self._run(f"INSERT INTO {table} ({columns}) FORMAT JSONEachRow\n" + body.decode())
        return len(rows)

    def close(self) -> None:
        for pool in getattr(self, "_readers", {}).values():
            pool.close()
        if getattr(self, "_session", None) is not None:
            self._session.close()
            self._session = None
        self._release_lock()


FORMAT_QUERY = "SELECT formatQuery({sql:String})"
OUTPUT_SETTINGS = {"output_format_json_quote_64bit_integers": 1}  # JSON numbers lose digits past 2**64


def _configure(session: Any, settings: Mapping[str, object]) -> None:
    """``SET`` each setting on the session, in order."""
    for name, value in settings.items():
        _run_on(session, f"SET {name} = {escape_param(value, None)}")


def _run_on(session: Any, sql: str, fmt: str = "CSV", params: dict[str, str] | None = None) -> Any:
    try:
        return session.query(sql, fmt, params=params)
    except Exception as exc:
        # chDB 4.4 keeps the output a failed query began (e.g. stopped by a limit) and puts it in
        # front of the session's next result; one throwaway query takes it out
        with contextlib.suppress(Exception):
            session.query("SELECT 1", "CSV")
        raise _engine_error(exc) from exc


def _parsed(reader: Any, sql: str) -> str:
    """The statement as chDB's parser understood it (comments gone, one statement or an error)."""
    try:
        return str(
            _result(_run_on(reader, FORMAT_QUERY, "JSONCompact", engine_params(FORMAT_QUERY, {"sql": sql}))).scalar()
        )
    except WarehouseError as exc:  # positions in the message are the person's; our wrapper is noise
        raise type(exc)(str(exc).split(" In scope SELECT formatQuery(")[0].rstrip(" :.") + ".") from None


def _result(raw: Any) -> QueryResult:
    data = raw.bytes()
    if not data.strip():
        return QueryResult(columns=[], types=[])
    try:
        doc = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise WarehouseError(f"unexpected output from chDB (more than one result?): {exc}") from None
    columns = [m["name"] for m in doc["meta"]]
    types = [m["type"] for m in doc["meta"]]
    return QueryResult(columns=columns, types=types, rows=convert_rows(types, doc["data"]))


def _engine_error(exc: Exception) -> WarehouseError:
    message = str(exc).strip()
    code = re.match(r"Code: (\d+)\.", message)
    return error_for_code(int(code.group(1)) if code else None, message)
