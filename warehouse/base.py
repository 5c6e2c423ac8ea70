"""What every warehouse backend offers; the loader, owner and CLI only see this."""

from __future__ import annotations

import datetime as dt
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from core.config import ReadOnlyLimits


class WarehouseError(RuntimeError):
    """A query or connection failed; the message is the engine's, made readable.

    ``reason`` is machine-readable: the owner's endpoint answers with it and the client
    turns it back into the same class (:func:`error_for_reason`)."""

    reason = "query_failed"


class WarehouseLocked(WarehouseError):
    """The embedded warehouse directory is owned by another process."""

    reason = "locked"


class NotReadOnly(WarehouseError):
    """A person's statement would change something, reach outside the warehouse, or is not one statement."""

    reason = "read_only"


class LimitExceeded(WarehouseError):
    """A person's query hit a limit (time, rows read, result rows or bytes, memory)."""

    reason = "limit_exceeded"


class BadParameters(WarehouseError):
    """Placeholders and parameter values do not match (missing, unused, wrong type, out of range)."""

    reason = "bad_params"


class SqlSyntaxError(WarehouseError):
    """The statement cannot be split into tokens safely (unterminated or ambiguous)."""

    reason = "syntax"


class BadRequest(WarehouseError):
    """The request to the owner's endpoint is malformed (body, JSON shape)."""

    reason = "bad_request"


class WarehouseBusy(WarehouseError):
    """Every reader slot stayed taken for the whole wait; try again."""

    reason = "busy"


_ERRORS_BY_REASON = {
    cls.reason: cls for cls in (NotReadOnly, LimitExceeded, BadParameters, SqlSyntaxError, BadRequest, WarehouseBusy)
}

# ClickHouse error codes (src/Common/ErrorCodes.cpp; the same numbers in 18.16 and 26.x)
_ERRORS_BY_CODE: dict[int, type[WarehouseError]] = {
    164: NotReadOnly,  # READONLY
    497: NotReadOnly,  # ACCESS_DENIED
    158: LimitExceeded,  # TOO_MANY_ROWS
    159: LimitExceeded,  # TIMEOUT_EXCEEDED
    160: LimitExceeded,  # TOO_SLOW
    241: LimitExceeded,  # MEMORY_LIMIT_EXCEEDED
    307: LimitExceeded,  # TOO_MANY_BYTES
    396: LimitExceeded,  # TOO_MANY_ROWS_OR_BYTES
    62: SqlSyntaxError,  # SYNTAX_ERROR
    456: BadParameters,  # UNKNOWN_QUERY_PARAMETER
    457: BadParameters,  # BAD_QUERY_PARAMETER
}


def error_for_code(code: int | None, message: str) -> WarehouseError:
    """The error class for an engine error code."""
    return _ERRORS_BY_CODE.get(code or 0, WarehouseError)(message)


def error_for_reason(reason: str | None, message: str) -> WarehouseError:
    """Rebuild an error the owner's endpoint reported by its ``reason``."""
    return _ERRORS_BY_REASON.get(reason or "", WarehouseError)(message)


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
    def query(self, sql: str, params: Mapping[str, object] | None = None) -> QueryResult:
        """Run a read statement of trusted code, ``{name:Type}`` placeholders bound to ``params``
        (warehouse/params.py). Values: str, int, float, list, date, and aware UTC datetimes."""

    @abstractmethod
    def query_untrusted(self, sql: str, params: Mapping[str, object] | None, limits: ReadOnlyLimits) -> QueryResult:
        """Run a statement that comes from a person (CLI, owner endpoint, UI console): with the
        engine's ``readonly=1`` and ``limits``, on a reader connection of its own, so it can
        change nothing, reach nothing outside the warehouse and never hold up the loader
        (warehouse/readonly.py, docs/warehouse.md "Read-only guarantees")."""

    @abstractmethod
    def insert(self, table: str, rows: Sequence[Row]) -> int:
        """Insert rows (all with the same keys); returns the number inserted."""

    @abstractmethod
    def close(self) -> None: ...

    def __enter__(self) -> Warehouse:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def value_converter(type_name: str) -> Callable[[Any], Any] | None:
    """How to turn an engine's value of ``type_name`` into the Python value every backend
    returns (JSON output quotes 64-bit integers, dates and times; arrays hold them too)."""
    base = type_name.removeprefix("LowCardinality(").removeprefix("Nullable(")
    if base.startswith("Array("):
        inner = value_converter(base.removeprefix("Array(").removesuffix(")"))
        return None if inner is None else lambda v: None if v is None else [inner(item) for item in v]
    if base.startswith("DateTime"):
        return lambda v: None if v is None else to_utc_datetime(v)
    if base.startswith("Date"):
        return lambda v: v if v is None or isinstance(v, dt.date) else dt.date.fromisoformat(v)
    if base.startswith(("UInt64", "Int64", "UInt128", "Int128", "UInt256", "Int256")):
        return lambda v: None if v is None else int(v)
    return None


def convert_rows(types: Sequence[str], rows: Iterable[Sequence[Any]]) -> list[tuple[Any, ...]]:
    converters = [value_converter(t) for t in types]
    if not any(converters):
        return [tuple(row) for row in rows]
    return [tuple(c(v) if c else v for c, v in zip(converters, row, strict=True)) for row in rows]


def to_utc_datetime(value: Any) -> dt.datetime:
    """Normalise engine DateTime values (naive UTC, aware, or text) to aware UTC."""
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)
    return dt.datetime.fromisoformat(str(value)).replace(tzinfo=dt.UTC)
