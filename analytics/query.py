"""Where analytics queries run: a Warehouse in hand (tests, benchmarks, tools) or the settings of
an installation, through the people-facing read-only path (warehouse/client.py ``run_query``),
which goes through the embedded warehouse's owner while it runs."""

from __future__ import annotations

from collections.abc import Mapping

from core.config import Settings
from warehouse.base import QueryResult, Warehouse
from warehouse.client import run_query

QueryTarget = Settings | Warehouse


def run_sql(target: QueryTarget, sql: str, params: Mapping[str, object]) -> QueryResult:
    """Run a read query with bound ``{name:Type}`` parameters on ``target``."""
    if isinstance(target, Warehouse):
        return target.query(sql, params)
    return run_query(target, sql, params)
