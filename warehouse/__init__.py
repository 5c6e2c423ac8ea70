"""The warehouse: one engine-agnostic interface, one backend folder per ClickHouse engine."""

from warehouse.base import QueryResult, Warehouse, WarehouseError, WarehouseLocked
from warehouse.connect import connect

__all__ = ["QueryResult", "Warehouse", "WarehouseError", "WarehouseLocked", "connect"]
