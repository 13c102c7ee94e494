"""Per-request context (request id, tenant, principal) that logs and errors read."""

from __future__ import annotations

import secrets
from contextvars import ContextVar

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)
tenant_id_var: ContextVar[str | None] = ContextVar("tenant_id", default=None)


def new_request_id() -> str:
    return "req_" + secrets.token_hex(12)


def current_request_id() -> str | None:
    return request_id_var.get()
