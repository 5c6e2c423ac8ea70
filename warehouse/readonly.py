"""Admit only single read statements on the owner's shared endpoint."""

from __future__ import annotations

from warehouse.base import WarehouseError

READ_KEYWORDS = frozenset({"SELECT", "WITH", "SHOW", "DESCRIBE", "DESC", "EXISTS", "EXPLAIN"})


class NotReadOnly(WarehouseError):
    """The statement would change something, or is more than one statement."""


def check_read_only(sql: str) -> str:
    """Return the statement without a trailing ``;`` or raise :class:`NotReadOnly`."""
    statement = sql.strip().rstrip(";").strip()
    if not statement:
        raise NotReadOnly("empty statement")
    if ";" in statement:
        raise NotReadOnly("one statement at a time: ';' is not allowed inside a query")
    lines = [line for line in statement.splitlines() if not line.strip().startswith("--")]
    first = " ".join(lines).lstrip("( \t").split(None, 1)
    keyword = first[0].upper() if first else ""
    if keyword not in READ_KEYWORDS:
        raise NotReadOnly(f"read-only endpoint: {keyword or 'this'} statements are not allowed")
    return statement
