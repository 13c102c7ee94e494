"""The error model: every failure a client sees is one envelope with a stable code.

`{"error": {"code", "message", "details", "request_id"}}`; codes as the seeds name them.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import psycopg
import sqlalchemy.exc
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from millbook_platform.requestctx import current_request_id

log = logging.getLogger("millbook.errors")


class AppError(Exception):
    """An error with its HTTP status and public code; raise it from any layer."""

    status_code = 500
    code = "INTERNAL_ERROR"

    def __init__(
        self,
        message: str,
        *,
        details: Sequence[dict[str, Any]] = (),
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.details = list(details)
        self.headers = headers or {}


class AuthRequired(AppError):
    status_code, code = 401, "AUTH_REQUIRED"


class AuthInvalid(AppError):
    status_code, code = 401, "AUTH_INVALID"


class AuthExpired(AppError):
    status_code, code = 401, "AUTH_EXPIRED"


class PermissionDenied(AppError):
    status_code, code = 403, "PERMISSION_DENIED"


class NotFound(AppError):
    status_code, code = 404, "RESOURCE_NOT_FOUND"


class Conflict(AppError):
    status_code, code = 409, "RESOURCE_CONFLICT"


class InvalidTransition(AppError):
    status_code, code = 409, "INVALID_TRANSITION"


class ValidationFailed(AppError):
    status_code, code = 422, "VALIDATION_ERROR"


class MalformedRequest(AppError):
    status_code, code = 400, "MALFORMED_REQUEST"


class MethodNotAllowed(AppError):
    status_code, code = 405, "METHOD_NOT_ALLOWED"


class IdempotencyKeyReused(AppError):
    status_code, code = 422, "IDEMPOTENCY_KEY_REUSED"


class PayloadTooLarge(AppError):
    status_code, code = 413, "PAYLOAD_TOO_LARGE"


class RateLimited(AppError):
    status_code, code = 429, "RATE_LIMIT_EXCEEDED"


class UpstreamUnavailable(AppError):
    status_code, code = 503, "UPSTREAM_UNAVAILABLE"


class UpstreamTimeout(AppError):
    status_code, code = 504, "UPSTREAM_TIMEOUT"


def field_error(field: str, message: str) -> dict[str, str]:
    return {"field": field, "message": message}


def error_body(code: str, message: str, details: Sequence[dict[str, Any]] = ()) -> dict[str, Any]:
    return {
        "error": {
            "code": code,
            "message": message,
            "details": list(details),
            "request_id": current_request_id(),
        }
    }


def error_response(
    status: int,
    code: str,
    message: str,
    details: Sequence[dict[str, Any]] = (),
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    return JSONResponse(error_body(code, message, details), status_code=status, headers=headers)


_STATUS_CODES = {
    400: "MALFORMED_REQUEST",
    401: "AUTH_REQUIRED",
    403: "PERMISSION_DENIED",
    404: "RESOURCE_NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    409: "RESOURCE_CONFLICT",
    413: "PAYLOAD_TOO_LARGE",
    414: "VALIDATION_ERROR",
    415: "VALIDATION_ERROR",
    422: "VALIDATION_ERROR",
    429: "RATE_LIMIT_EXCEEDED",
}


def _location(loc: Sequence[int | str]) -> str:
    # ("body", "lines", 0, "quantity") -> "lines[0].quantity"
    parts = [p for p in loc if p not in ("body", "query", "path", "header")]
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or ".".join(str(p) for p in loc)


def validation_details(errors: Sequence[Any]) -> list[dict[str, str]]:
    details = []
    for err in errors:
        message = str(err.get("msg", "invalid"))
        if err.get("type") == "json_invalid":
            message = "request body is not valid JSON"
        details.append(field_error(_location(err.get("loc", ())), message))
    return details


async def _app_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AppError)
    return error_response(exc.status_code, exc.code, exc.message, exc.details, exc.headers)


async def _validation_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    if any(err.get("type") == "json_invalid" for err in errors):
        # A body that does not parse is not a field's mistake: 400, as seed 003 says.
        return error_response(
            400,
            MalformedRequest.code,
            "The request body is not valid JSON.",
            [field_error("body", _json_position(errors))],
        )
    details = validation_details(errors)
    return error_response(422, "VALIDATION_ERROR", "The request is not valid.", details)


def _json_position(errors: Sequence[Any]) -> str:
    # pydantic's loc for a parse error is ("body", <character offset>), not a field.
    for err in errors:
        loc = err.get("loc", ())
        if err.get("type") == "json_invalid" and len(loc) > 1 and isinstance(loc[1], int):
            return f"not valid JSON near character {loc[1]}"
    return "not valid JSON"


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = _STATUS_CODES.get(exc.status_code, "INTERNAL_ERROR")
    message = exc.detail if isinstance(exc.detail, str) else "Request failed."
    headers = getattr(exc, "headers", None)
    if exc.status_code == 405:
        allowed = allowed_methods(request.app.router.routes, request.scope)
        headers = {**(headers or {}), "Allow": ", ".join(allowed)}
        message = f"{request.method} is not allowed here; use {' or '.join(allowed)}."
    return error_response(exc.status_code, code, message, headers=headers)


HTTP_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")


def allowed_methods(routes: Sequence[BaseRoute], scope: Scope) -> list[str]:
    """Every method some route takes on this path (Starlette names only the first route's)."""
    return [
        method
        for method in HTTP_METHODS
        if any(route.matches({**scope, "method": method})[0] is Match.FULL for route in routes)
    ]


async def _out_of_range(_: Request, exc: Exception) -> JSONResponse:
    # The last wall behind the bounded input types: PostgreSQL refused a value (SQLSTATE
    # class 22: a number or text too long for its column, a date out of range). The input
    # caused it, so it is a 422; the log says which column so the type can be bounded.
    assert isinstance(exc, DataError)
    diag = getattr(exc.orig, "diag", None)
    column = getattr(diag, "column_name", None)
    log.warning("database refused a value: %s", getattr(diag, "message_primary", exc))
    return error_response(
        422,
        ValidationFailed.code,
        "A value is outside what Millbook can store.",
        [field_error(column or "body", "out of range for what Millbook stores")],
    )


async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
    # The trace goes to the log with the request id; the client sees only the id.
    log.exception("unhandled error", exc_info=exc)
    return error_response(500, "INTERNAL_ERROR", "An unexpected error occurred.")


# -- the database is down: 503 with Retry-After, as the gateway answers for a dead service

DATABASE_UNAVAILABLE = "The service's database is unavailable; retry shortly."
RETRY_AFTER_S = 3
# SQLSTATE classes and codes that mean "no usable connection": 08 connection exception,
# 57P01-57P05 shutdown/crash/cannot connect now/idle timeouts, 53300 too many connections.
_UNAVAILABLE_CLASSES = ("08",)
_UNAVAILABLE_STATES = frozenset({"57P01", "57P02", "57P03", "57P04", "57P05", "53300"})


def database_unavailable(error: BaseException) -> bool:
    """The database could not be reached or went away (restart, failover, exhausted pool).

    A query's own failure (a constraint, a timeout, a deadlock) is not this.
    """
    if isinstance(error, sqlalchemy.exc.TimeoutError):  # no pooled connection came free
        return True
    if isinstance(error, sqlalchemy.exc.DBAPIError):
        if error.connection_invalidated:
            return True
        return database_unavailable(error.orig) if error.orig is not None else False
    if isinstance(error, psycopg.InterfaceError):  # the connection is closed
        return True
    if isinstance(error, psycopg.OperationalError):
        state = error.sqlstate
        # No SQLSTATE: libpq itself failed (connection refused, reset, server closed it).
        return (
            state is None or state.startswith(_UNAVAILABLE_CLASSES) or state in _UNAVAILABLE_STATES
        )
    return False


def database_unavailable_response() -> JSONResponse:
    return error_response(
        503,
        "UPSTREAM_UNAVAILABLE",
        DATABASE_UNAVAILABLE,
        headers={"Retry-After": str(RETRY_AFTER_S)},
    )


async def _database_error(request: Request, exc: Exception) -> JSONResponse:
    if database_unavailable(exc):
        log.warning("database unavailable: %s", exc)
        return database_unavailable_response()
    return await _unexpected(request, exc)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(AppError, _app_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(DataError, _out_of_range)
    app.add_exception_handler(Exception, _unexpected)
    for database_error in (sqlalchemy.exc.DBAPIError, sqlalchemy.exc.TimeoutError, psycopg.Error):
        app.add_exception_handler(database_error, _database_error)


class UnhandledErrorMiddleware:
    """Renders an unexpected exception as the 500 envelope inside the request context.

    Starlette's last-resort handler runs outside every middleware, so its response
    would carry neither the request id nor headers other middleware adds. Install
    this innermost; a trace never reaches the client.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def send_tracked(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, send_tracked)
        except Exception:
            if started:
                raise
            log.exception("unhandled error")
            response = error_response(500, "INTERNAL_ERROR", "An unexpected error occurred.")
            await response(scope, receive, send)
