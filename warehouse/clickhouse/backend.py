"""ClickHouse server backend over the native protocol (clickhouse-driver).

Inserts are columnar; DateTime columns arrive as epoch seconds from the loader and are
converted here, using the table's own column types (read once per table).
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Mapping, Sequence
from typing import Any

from clickhouse_driver import Client
from clickhouse_driver.errors import Error as DriverError

from warehouse.base import QueryResult, Row, Warehouse, WarehouseError, convert_rows, error_for_code
from warehouse.params import bind_literals


class ClickHouseWarehouse(Warehouse):
    def __init__(self, host: str, port: int, database: str, user: str = "default", password: str = "") -> None:
        self.url = f"clickhouse://{host}:{port}/{database}"
        self.database = database
        try:
            bootstrap = Client(host, port=port, user=user, password=password, connect_timeout=5)
            bootstrap.execute(f"CREATE DATABASE IF NOT EXISTS {database}")
            bootstrap.disconnect()
        except (DriverError, OSError) as exc:
            raise WarehouseError(f"cannot reach ClickHouse at {host}:{port}: {exc}") from exc
        self._client = Client(host, port=port, database=database, user=user, password=password)
        self._mutex = threading.Lock()  # a driver Client is not thread-safe
        self._column_types: dict[str, dict[str, str]] = {}

    def _call(self, sql: str, *args: Any, **kwargs: Any) -> Any:
        with self._mutex:
            try:
                return self._client.execute(sql, *args, **kwargs)
            except (DriverError, OSError) as exc:
                message = getattr(exc, "message", None) or str(exc)
                raise error_for_code(getattr(exc, "code", None), message.split("Stack trace:")[0].strip()) from exc

    def execute(self, sql: str) -> None:
        self._call(sql)

    def query(self, sql: str, params: Mapping[str, object] | None = None) -> QueryResult:
        if params or "{" in sql:
            sql = bind_literals(sql, params)  # 18.16 has no server-side parameters
        rows, meta = self._call(sql, with_column_types=True)
        columns = [name for name, _ in meta]
        types = [t for _, t in meta]
        return QueryResult(columns=columns, types=types, rows=convert_rows(types, rows))

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
        self._client.disconnect()
