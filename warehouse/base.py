"""What every warehouse backend offers; the loader, owner and CLI only see this."""

from __future__ import annotations

import datetime as dt
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any


class WarehouseError(RuntimeError):
    """A query or connection failed; the message is the engine's, made readable."""


class WarehouseLocked(WarehouseError):
    """The embedded warehouse directory is owned by another process."""


@dataclass(frozen=True)
class QueryResult:
    columns: list[str]
    types: list[str]
    rows: list[tuple[Any, ...]] = field(default_factory=list)

    def as_dicts(self) -> list[dict[str, Any]]:
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]

    def scalar(self) -> Any:
        return self.rows[0][0]


Row = Mapping[str, Any]
"""A row to insert: column -> value. DateTime columns take epoch seconds (int)."""


class Warehouse(ABC):
    """A ClickHouse-dialect engine: run statements, read results, insert rows."""

    url: str

    @abstractmethod
    def execute(self, sql: str) -> None:
        """Run a statement that returns nothing (DDL, INSERT … SELECT)."""

    @abstractmethod
    def query(self, sql: str) -> QueryResult:
        """Run a read statement. Values: str, int, float, list, and aware UTC datetimes."""

    @abstractmethod
    def insert(self, table: str, rows: Sequence[Row]) -> int:
        """Insert rows (all with the same keys); returns the number inserted."""

    @abstractmethod
    def close(self) -> None: ...

    def __enter__(self) -> Warehouse:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def to_utc_datetime(value: Any) -> dt.datetime:
    """Normalise engine DateTime values (naive UTC, aware, or text) to aware UTC."""
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)
    return dt.datetime.fromisoformat(str(value)).replace(tzinfo=dt.UTC)
