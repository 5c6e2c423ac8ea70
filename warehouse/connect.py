"""Pick a backend by URL: ``chdb:///abs/path`` or ``clickhouse://host:port/db``."""

from __future__ import annotations

from urllib.parse import urlparse

from warehouse.base import Warehouse, WarehouseError


def connect(url: str) -> Warehouse:
    parsed = urlparse(url)
    if parsed.scheme == "chdb":
        from warehouse.chdb.backend import ChdbWarehouse

        return ChdbWarehouse(parsed.netloc + parsed.path)
    if parsed.scheme == "clickhouse":
        from warehouse.clickhouse.backend import ClickHouseWarehouse

        return ClickHouseWarehouse(
            host=parsed.hostname or "127.0.0.1",
            port=parsed.port or 9000,
            database=parsed.path.strip("/") or "default",
            user=parsed.username or "default",
            password=parsed.password or "",
        )
    raise WarehouseError(f"unsupported warehouse URL {url!r}: use chdb:///path or clickhouse://host:port/db")
