"""The process that owns an embedded warehouse.

chDB allows one process per data directory and must keep its session open
(ARCHITECTURE.md), so this process opens it once, applies migrations, runs the loader
every ``interval`` seconds and answers read-only queries for the CLI and the funnel UI on
a loopback port, advertised in ``settings.warehouse_owner_file``. With a ``clickhouse://``
URL it still runs the loader; readers then go to the server directly.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from pathlib import Path

import orjson
from flask import Flask, Response, request
from werkzeug.serving import make_server

from core.config import Settings
from warehouse.base import BadRequest, Warehouse, WarehouseError
from warehouse.connect import connect
from warehouse.loader import Loader, Source
from warehouse.migrations import migrate
from warehouse.readonly import NotReadOnly, check_read_only

logger = logging.getLogger(__name__)


def create_query_app(warehouse: Warehouse) -> Flask:
    """``POST /query`` (body: SQL text) -> ``{"columns", "types", "rows"}``; ``GET /healthz``."""
    app = Flask("touchstream-warehouse")

    @app.get("/healthz")
    def healthz() -> Response:
        return _json({"ok": True, "url": warehouse.url})

    @app.post("/query")
    def query() -> Response:
        try:
            sql, params = _query_body()
            result = warehouse.query(check_read_only(sql), params)
        except NotReadOnly as exc:
            return _json({"error": str(exc), "reason": exc.reason}, 403)
        except WarehouseError as exc:
            return _json({"error": str(exc), "reason": exc.reason}, 400)
        return _json({"columns": result.columns, "types": result.types, "rows": result.rows})

    return app


def _query_body() -> tuple[str, dict[str, object] | None]:
    """``{"sql": ..., "params": {...}}`` as JSON, or the SQL alone as text."""
    if not request.is_json:
        return request.get_data(as_text=True), None
    try:
        body = orjson.loads(request.get_data())
    except orjson.JSONDecodeError as exc:
        raise BadRequest(f"the body is not valid JSON: {exc}") from None
    if not isinstance(body, dict) or not isinstance(body.get("sql"), str) or set(body) - {"sql", "params"}:
        raise BadRequest('the body must be {"sql": "...", "params": {...}}')
    params = body.get("params")
    if params is not None and not isinstance(params, dict):
        raise BadRequest('"params" must be an object of name -> value')
    return body["sql"], params


def _json(body: object, status: int = 200) -> Response:
    return Response(orjson.dumps(body, default=str), status=status, mimetype="application/json")


def serve(
    settings: Settings,
    sources: list[Source],
    port: int | None = None,
    interval: float = 0.5,
    stop: threading.Event | None = None,
) -> None:
    """Own the warehouse until SIGTERM/SIGINT (or ``stop`` is set), loading ``sources``
    (the caller composes them: the collector's logs, the stream job's outputs)."""
    stop = stop or threading.Event()
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
    warehouse = connect(settings.warehouse_url)
    server = None
    try:
        migrate(warehouse)
        loader = Loader(warehouse, sources)
        server = make_server(settings.host, port or settings.warehouse_port, create_query_app(warehouse), threaded=True)
        threading.Thread(target=server.serve_forever, name="warehouse-query", daemon=True).start()
        _advertise(settings.warehouse_owner_file, settings.host, server.server_port)
        logger.info(
            "warehouse %s owned by pid %d, queries on %s:%d",
            warehouse.url,
            os.getpid(),
            settings.host,
            server.server_port,
        )
        while not stop.is_set():
            try:
                report = loader.load_pending()
                if report.files:
                    logger.info("loaded %d files, %d rows", report.files, report.rows)
            except WarehouseError:
                logger.exception("loading failed; retrying in %ss", interval)
            stop.wait(interval)
    finally:
        settings.warehouse_owner_file.unlink(missing_ok=True)
        if server is not None:
            server.shutdown()
        warehouse.close()


def _advertise(owner_file: Path, host: str, port: int) -> None:
    owner_file.parent.mkdir(parents=True, exist_ok=True)
    tmp = owner_file.with_name("." + owner_file.name)
    tmp.write_bytes(orjson.dumps({"pid": os.getpid(), "host": host, "port": port}))
    tmp.replace(owner_file)
