"""Run a person's read query wherever the warehouse is: a server, an owner process, or the directory.

The one entry point for the CLI and the UI: every statement goes through
:meth:`Warehouse.query_untrusted` (read-only, limited), here or in the owner process.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import orjson
import requests

from core.config import Settings
from warehouse.base import QueryResult, WarehouseError, convert_rows, error_for_reason
from warehouse.connect import connect
from warehouse.migrations import migrate
from warehouse.token import read_token


def live_owner(settings: Settings) -> dict[str, Any] | None:
    """The advertised owner of the embedded warehouse, if its process is alive."""
    try:
        owner = orjson.loads(settings.warehouse_owner_file.read_bytes())
        os.kill(int(owner["pid"]), 0)
    except (OSError, ValueError, KeyError):
        return None
    return owner


def run_query(
    settings: Settings, sql: str, params: Mapping[str, object] | None = None, timeout: float | None = None
) -> QueryResult:
    """Run a person's statement, ``{name:Type}`` placeholders bound to ``params``
    (warehouse/params.py); through the owner process while one holds the embedded warehouse."""
    owner = live_owner(settings) if settings.warehouse_url.startswith("chdb:") else None
    if owner is None:
        with connect(settings.sql_warehouse_url) as warehouse:
            if settings.warehouse_url.startswith("chdb:"):
                migrate(warehouse)
            return warehouse.query_untrusted(sql, params, settings.sql_limits)
    token = read_token(settings.warehouse_token_file)
    try:
        response = requests.post(
            f"http://{owner['host']}:{owner['port']}/query",
            data=orjson.dumps({"sql": sql, "params": params}),
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
            # a statement may wait for a reader for up to the time limit, then run for as long
            timeout=timeout or 2 * settings.sql_max_execution_s + 10,
        )
        body = orjson.loads(response.content)
    except (requests.RequestException, orjson.JSONDecodeError) as exc:
        raise WarehouseError(f"the warehouse owner (pid {owner['pid']}) did not answer: {exc}") from exc
    if response.status_code != 200:
        raise error_for_reason(body.get("reason"), body.get("error", response.text))
    return QueryResult(columns=body["columns"], types=body["types"], rows=convert_rows(body["types"], body["rows"]))
