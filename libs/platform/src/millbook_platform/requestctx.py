"""Per-request context (request id, tenant, principal) that logs and errors read."""

from __future__ import annotations

import secrets
from contextvars import ContextVar

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)
tenant_id_var: ContextVar[str | None] = ContextVar("tenant_id", default=None)
# "user:<id>" or "api_key:<id>" of the caller; events recorded in the request carry it.
actor_var: ContextVar[str | None] = ContextVar("actor", default=None)


def new_request_id() -> str:
    return "req_" + secrets.token_hex(12)


_REQUEST_ID_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.:")
MAX_REQUEST_ID = 128


def accepted_request_id(offered: str | None) -> str:
    """The client's request id when it is short and plain, else a new one."""
    if offered and len(offered) <= MAX_REQUEST_ID and set(offered) <= _REQUEST_ID_CHARS:
        return offered
    return new_request_id()


def current_request_id() -> str | None:
    return request_id_var.get()
