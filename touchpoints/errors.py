"""Errors as JSON ``{"reason": <machine-readable>, "error": <for a person>}``, for every status."""

from __future__ import annotations

import orjson
from flask import Flask, Response
from werkzeug.exceptions import HTTPException

HTTP_REASONS = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "body_too_large",
    415: "unsupported_media_type",
}


class ApiError(Exception):
    def __init__(self, status: int, reason: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.reason = reason
        self.message = message


def json_response(body: object, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(body), status=status, mimetype="application/json", headers=headers)


def error_response(status: int, reason: str, message: str, headers: dict[str, str] | None = None) -> Response:
    return json_response({"reason": reason, "error": message}, status, headers)


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(ApiError)
    def api_error(exc: ApiError) -> Response:
        headers = {"WWW-Authenticate": 'Bearer realm="touchpoints-admin"'} if exc.status == 401 else None
        return error_response(exc.status, exc.reason, exc.message, headers)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Response:
        status = exc.code or 500
        response = error_response(status, HTTP_REASONS.get(status, f"http_{status}"), exc.description or exc.name)
        if status == 405 and exc.get_response().headers.get("Allow"):
            response.headers["Allow"] = exc.get_response().headers["Allow"]
        return response
