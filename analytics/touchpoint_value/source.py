"""Where report queries run: an open warehouse (tests, tools) or the settings of an installation.

With settings, queries take the people-facing guarded path (``warehouse.client.run_query``): through
the warehouse owner while ``make run`` is up, straight to the engine otherwise.
"""

from __future__ import annotations

from typing import Any

from analytics.touchpoint_value.compile import Query
from core.config import Settings
from warehouse.base import Warehouse

QuerySource = Settings | Warehouse


def run(source: QuerySource, query: Query) -> list[dict[str, Any]]:
    """The rows of ``query`` as dicts, its placeholders bound by the warehouse."""
    if isinstance(source, Warehouse):
        result = source.query(query.sql, query.params)
    else:
        from warehouse.client import run_query

        result = run_query(source, query.sql, query.params)
    return result.as_dicts()
