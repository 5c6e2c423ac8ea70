"""How analytics code runs SQL with bound ``{name:Type}`` parameters.

Two shapes, one per analytics package (to be folded by the lead when both are on main):
- :func:`run_sql` takes a target: a Warehouse in hand (tests, benchmarks, tools) or the settings of
  an installation, through the people-facing read-only path (warehouse/client.py ``run_query``),
  which goes through the embedded warehouse's owner while it runs (funnels, touchpoint value);
- a :data:`Runner` callable (metrics): :func:`warehouse_runner` for the CLI and the UI, a backend's
  own ``query`` in tests.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from core.config import Settings
from warehouse.base import QueryResult, Warehouse
from warehouse.client import run_query

QueryTarget = Settings | Warehouse

Runner = Callable[[str, Mapping[str, Any]], QueryResult]
"""(sql with ``{name:Type}`` placeholders, parameter values) -> result."""


def run_sql(target: QueryTarget, sql: str, params: Mapping[str, object]) -> QueryResult:
    """Run a read query with bound ``{name:Type}`` parameters on ``target``."""
    if isinstance(target, Warehouse):
        return target.query(sql, params)
    return run_query(target, sql, params)


def warehouse_runner(settings: Settings) -> Runner:
    """Run through the read-only guarded path (``warehouse.client.run_query``)."""

    def run(sql: str, params: Mapping[str, Any]) -> QueryResult:
        return run_query(settings, sql, params)

    return run
