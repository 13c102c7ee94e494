"""Errors only the gateway raises, in the platform's envelope."""

from __future__ import annotations

from millbook_platform.errors import AppError


class BadGateway(AppError):
    """The upstream answered with something that is not valid HTTP."""

    status_code, code = 502, "UPSTREAM_UNAVAILABLE"
