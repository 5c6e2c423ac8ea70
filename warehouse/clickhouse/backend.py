"""ClickHouse server backend over the native protocol (clickhouse-driver).

Inserts are columnar; DateTime columns arrive as epoch seconds from the loader and are
converted here, using the table's own column types (read once per table). People's
statements run on reader connections of their own with per-query settings (limits, then
``readonly=1``); give the URL a reader account of its own (TOUCHSTREAM_WAREHOUSE_READER_URL)
so that even ``KILL QUERY`` from a person cannot reach the loader's queries.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Mapping, Sequence
from typing import Any

from clickhouse_driver import Client
from clickhouse_driver.errors import Error as DriverError

from core.config import ReadOnlyLimits
from warehouse.base import QueryResult, Row, Warehouse, WarehouseError, convert_rows, error_for_code
from warehouse.params import bind_literals
from warehouse.readers import ReaderPool
from warehouse.readonly import check_statement, engine_settings


class ClickHouseWarehouse(Warehouse):
    def __init__(self, host: str, port: int, database: str, user: str = "default", password: str = "") -> None:
        self.url = f"clickhouse://{host}:{port}/{database}"
        self.database = database
        self._address = {"host": host, "port": port, "user": user, "password": password}
        try:
            bootstrap = Client(**self._address, connect_timeout=5)
            exists = bootstrap.execute("SELECT count() FROM system.databases WHERE name = %(name)s", {"name": database})
            if not exists[0][0]:  # a read-only reader account may not even ask to create it
                bootstrap.execute(f"CREATE DATABASE IF NOT EXISTS {database}")
            bootstrap.disconnect()
        except (DriverError, OSError) as exc:
            raise WarehouseError(f"cannot reach ClickHouse at {host}:{port}: {exc}") from exc
        self._client = Client(**self._address, database=database)
        self._mutex = threading.Lock()  # a driver Client is not thread-safe
        self._column_types: dict[str, dict[str, str]] = {}
        self._readers: dict[ReadOnlyLimits, ReaderPool[Client]] = {}
        self._pools_lock = threading.Lock()

    def _call(self, sql: str, *args: Any, **kwargs: Any) -> Any:
        with self._mutex:
            return _execute(self._client, sql, *args, **kwargs)

    def execute(self, sql: str) -> None:
        self._call(sql)

    def query(self, sql: str, params: Mapping[str, object] | None = None) -> QueryResult:
        if params or "{" in sql:
            sql = bind_literals(sql, params)  # 18.16 has no server-side parameters
        return _result(self._call(sql, with_column_types=True))

    def query_untrusted(self, sql: str, params: Mapping[str, object] | None, limits: ReadOnlyLimits) -> QueryResult:
        statement = bind_literals(check_statement(sql), params)
        with self._reader_pool(limits).reader(limits.max_execution_s) as reader:
            return _result(_execute(reader, statement, with_column_types=True, settings=engine_settings(limits)))

    def _reader_pool(self, limits: ReadOnlyLimits) -> ReaderPool[Client]:
        with self._pools_lock:
            if limits not in self._readers:
                self._readers[limits] = ReaderPool(
                    lambda: Client(
                        **self._address,
                        database=self.database,
                        send_receive_timeout=limits.max_execution_s + 30,  # the server stops it first
                    ),
                    lambda reader: reader.disconnect(),
                    limits.max_concurrent,
                )
            return self._readers[limits]

    def insert(self, table: str, rows: Sequence[Row]) -> int:
        if not rows:
            return 0
        names = list(rows[0].keys())
        types = self._types(table)
        columns = []
        for name in names:
            values = [row[name] for row in rows]
            if types.get(name, "").startswith("DateTime"):
                values = [dt.datetime.fromtimestamp(v, dt.UTC).replace(tzinfo=None) for v in values]
            elif types.get(name, "").startswith("Date"):
                values = [dt.date.fromisoformat(v) if isinstance(v, str) else v for v in values]
            columns.append(values)
        self._call(f"INSERT INTO {table} ({', '.join(names)}) VALUES", columns, columnar=True)
        return len(rows)

    def _types(self, table: str) -> dict[str, str]:
        if table not in self._column_types:
            rows = self._call(f"DESCRIBE TABLE {table}")
            self._column_types[table] = {row[0]: row[1] for row in rows}
        return self._column_types[table]

    def close(self) -> None:
        for pool in self._readers.values():
            pool.close()
        self._client.disconnect()


def _execute(client: Client, sql: str, *args: Any, **kwargs: Any) -> Any:
    try:
        return client.execute(sql, *args, **kwargs)
    except (DriverError, OSError) as exc:
        message = getattr(exc, "message", None) or str(exc)
        raise error_for_code(getattr(exc, "code", None), message.split("Stack trace:")[0].strip()) from exc


def _result(answer: tuple[list[tuple[Any, ...]], list[tuple[str, str]]]) -> QueryResult:
    rows, meta = answer
    types = [t for _, t in meta]
    return QueryResult(columns=[name for name, _ in meta], types=types, rows=convert_rows(types, rows))
