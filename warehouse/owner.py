"""The process that owns an embedded warehouse.

chDB allows one process per data directory and must keep its session open
(docs/architecture.md), so this process opens it once, applies migrations, runs the loader
every ``interval`` seconds and answers people's read-only queries for the CLI and the
funnel UI on a loopback port, advertised in ``settings.warehouse_owner_file``. With a
``clickhouse://`` URL it still runs the loader; readers then go to the server directly.

The endpoint is locked down (docs/warehouse.md "Read-only guarantees"): a bearer token from
``settings.warehouse_token_file``; a Host header naming this loopback port, so a web page
cannot reach it by rebinding a name to 127.0.0.1; no cross-site browser requests; a bounded
body; and every statement runs through :meth:`Warehouse.query_untrusted`.
"""

from __future__ import annotations

import hmac
import logging
import os
import signal
import threading
from pathlib import Path
from typing import Any

import orjson
from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException
from werkzeug.serving import make_server

from core.config import ReadOnlyLimits, Settings
from warehouse.base import BadRequest, NotReadOnly, Warehouse, WarehouseBusy, WarehouseError
from warehouse.connect import connect
from warehouse.loader import Loader, Source
from warehouse.migrations import migrate
from warehouse.token import ensure_token

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 1_000_000  # a statement and its parameters; ClickHouse parses at most 256 KiB of SQL
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")
_STATUS = {NotReadOnly: 403, WarehouseBusy: 503}


def create_query_app(warehouse: Warehouse, limits: ReadOnlyLimits, token: str, host: str, port: int) -> Flask:
    """``POST /query`` (JSON ``{"sql", "params"}`` or SQL text) -> ``{"columns", "types", "rows"}``;
    ``GET /healthz``. Errors: ``{"error": message, "reason": machine-readable}``."""
    app = Flask("touchstream-warehouse")
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    allowed_hosts = {f"{name}:{port}" for name in (*LOOPBACK_NAMES, host)}
    expected = token.encode()

    @app.before_request
    def guard() -> Response | None:
        if request.host.lower() not in allowed_hosts:
            return _error(403, "bad_host", f"Host {request.host[:80]!r} is not this loopback endpoint")
        origin = request.headers.get("Origin")
        fetch_site = request.headers.get("Sec-Fetch-Site", "same-origin")
        if (origin is not None and origin != f"http://{request.host}") or fetch_site not in ("same-origin", "none"):
            return _error(403, "cross_site", "cross-site requests are refused")
        scheme, _, given = request.headers.get("Authorization", "").partition(" ")
        if not given:
            return _error(401, "missing_token", "send Authorization: Bearer <token from the warehouse.token file>")
        if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode("utf-8", "replace"), expected):
            return _error(403, "wrong_token", "the bearer token is wrong")
        return None

    @app.get("/healthz")
    def healthz() -> Response:
        return _json({"ok": True})

    @app.post("/query")
    def query() -> Response:
        try:
            sql, params = _query_body()
            result = warehouse.query_untrusted(sql, params, limits)
        except WarehouseError as exc:
            return _error(_STATUS.get(type(exc), 400), exc.reason, str(exc))
        return _json({"columns": result.columns, "types": result.types, "rows": result.rows})

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Response:
        reason = "body_too_large" if exc.code == 413 else (exc.name or "error").lower().replace(" ", "_")
        return _error(exc.code or 400, reason, exc.description or str(exc))

    @app.errorhandler(Exception)
    def internal_error(exc: Exception) -> Response:  # a bug of ours, not the caller's input
        logger.exception("the query endpoint failed")
        return _error(500, "internal", f"internal error: {type(exc).__name__}")

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
    try:
        data = orjson.dumps(body, default=str)
    except orjson.JSONEncodeError:  # a (U)Int128/256 value: JSON numbers stop at 64 bits
        data = orjson.dumps(_wide_ints_as_text(body), default=str)
    return Response(data, status=status, mimetype="application/json")


def _wide_ints_as_text(value: Any) -> Any:
    """The client reads them back with the column's type (warehouse.base.value_converter)."""
    if isinstance(value, int) and not -(2**63) <= value < 2**64:
        return str(value)
    if isinstance(value, dict):
        return {k: _wide_ints_as_text(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_wide_ints_as_text(v) for v in value]
    return value


def _error(status: int, reason: str, message: str) -> Response:
    response = _json({"error": message, "reason": reason}, status)
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="touchstream-warehouse"'
    if status == 503:
        response.headers["Retry-After"] = "1"
    return response


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
    readers = warehouse
    server = None
    try:
        migrate(warehouse)
        loader = Loader(warehouse, sources)
        if settings.sql_warehouse_url != settings.warehouse_url:
            readers = connect(settings.sql_warehouse_url)  # the server's reader account
        token = ensure_token(settings.warehouse_token_file)
        port = port or settings.warehouse_port
        app = create_query_app(readers, settings.sql_limits, token, settings.warehouse_host, port)
        server = make_server(settings.warehouse_host, port, app, threaded=True)
        threading.Thread(target=server.serve_forever, name="warehouse-query", daemon=True).start()
        _advertise(settings.warehouse_owner_file, settings.warehouse_host, server.server_port)
        logger.info(
            "warehouse %s owned by pid %d, queries on %s:%d",
            warehouse.url,
            os.getpid(),
            settings.warehouse_host,
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
        if readers is not warehouse:
            readers.close()
        warehouse.close()


def _advertise(owner_file: Path, host: str, port: int) -> None:
    owner_file.parent.mkdir(parents=True, exist_ok=True)
    tmp = owner_file.with_name("." + owner_file.name)
    tmp.write_bytes(orjson.dumps({"pid": os.getpid(), "host": host, "port": port}))
    tmp.replace(owner_file)
