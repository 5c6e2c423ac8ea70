"""How analytics code runs SQL: a callable taking the statement and its bound parameters.

Functions take a :data:`Runner` instead of a connection so the same code serves the CLI
and the UI (people's path: :func:`warehouse_runner`, through the warehouse owner while the
stack runs) and tests (a backend's own ``query``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from core.config import Settings
from warehouse.base import QueryResult

Runner = Callable[[str, Mapping[str, Any]], QueryResult]
"""(sql with ``{name:Type}`` placeholders, parameter values) -> result."""


def warehouse_runner(settings: Settings) -> Runner:
    """Run through the read-only guarded path (``warehouse.client.run_query``)."""
    from warehouse.client import run_query

    def run(sql: str, params: Mapping[str, Any]) -> QueryResult:
        return run_query(settings, sql, params)

    return run
