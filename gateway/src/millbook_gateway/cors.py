"""Cross-origin access for browser apps, limited to the origins the operator names.

`MILLBOOK_CORS_ALLOWED_ORIGINS` is a comma-separated list of origins
(`https://app.example.com`), or `*` for any; empty turns CORS off. Millbook's
credentials travel in headers (`Authorization`, `X-API-Key`), never in cookies,
so the gateway never sends `Access-Control-Allow-Credentials`: a browser can
call the API cross-origin only with a token the app holds, and `*` can never be
combined with ambient credentials.

A preflight (`OPTIONS` with `Access-Control-Request-Method`) is answered here,
before authentication and rate limiting: it carries no credential to check and
spends no one's budget, and `Access-Control-Max-Age` lets the browser cache the
answer instead of asking before every call.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.datastructures import Headers
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import Response
from starlette.types import ASGIApp

from millbook_platform.errors import error_response

# What `make up` allows out of the box: a front end on a local dev server.
LOCAL_ORIGINS = (
    "http://localhost:3000",
    "http://127.0.0.1:3000",
    "http://localhost:5173",
    "http://127.0.0.1:5173",
)
ALLOWED_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
ALLOWED_HEADERS = (
    "Authorization",
    "X-API-Key",
    "Content-Type",
    "Idempotency-Key",
    "X-Idempotency-Key",
    "X-Request-Id",
    "If-None-Match",
    "If-Match",
    "Traceparent",
)
EXPOSED_HEADERS = (
    "X-Request-Id",
    "X-RateLimit-Limit",
    "X-RateLimit-Remaining",
    "X-RateLimit-Reset",
    "Retry-After",
    "ETag",
    "Location",
    "Content-Disposition",
)
PREFLIGHT_MAX_AGE_S = 600


def parse_origins(value: str) -> list[str]:
    """A comma-separated setting as a list of origins."""
    return [item.strip() for item in value.split(",") if item.strip()]


def check_origin(origin: str) -> None:
    """`*` or `scheme://host[:port]`: no path, no trailing slash (it would never match)."""
    if origin == "*":
        return
    try:
        parts = urlsplit(origin)
        parts.port  # noqa: B018 - raises on a port that is not a number
    except ValueError as exc:
        raise ValueError(f"{origin!r} is not an origin") from exc
    well_formed = parts.scheme in ("http", "https") and parts.hostname
    if not well_formed or parts.path or parts.query or parts.fragment or parts.username:
        raise ValueError(f"{origin!r} is not an origin like https://app.example.com")


class Cors(CORSMiddleware):
    """Starlette's CORS, with a refused preflight answered in the error envelope."""

    def __init__(self, app: ASGIApp, origins: list[str]) -> None:
        super().__init__(
            app,
            allow_origins=origins,
            allow_methods=ALLOWED_METHODS,
            allow_headers=ALLOWED_HEADERS,
            allow_credentials=False,
            expose_headers=EXPOSED_HEADERS,
            max_age=PREFLIGHT_MAX_AGE_S,
        )

    def preflight_response(self, request_headers: Headers) -> Response:
        response = super().preflight_response(request_headers)
        if response.status_code == 200:
            return response
        refused = bytes(response.body).decode().removeprefix("Disallowed CORS ")
        message = f"This cross-origin request is refused; not allowed: {refused}."
        return error_response(403, "PERMISSION_DENIED", message, headers={"Vary": "Origin"})
