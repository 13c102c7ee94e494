"""FastAPI dependencies: the caller, and the request's unit of work.

The request owns the transaction: `TenantSession` opens it scoped to the
caller's tenant and commits once when the endpoint returns (before the response
is sent, so a failed commit is an error response, never a false success).
Services only flush.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from millbook_platform.auth import Principal, authenticate, require_scopes
from millbook_platform.db import scope_to_tenant
from millbook_platform.requestctx import tenant_id_var

CurrentPrincipal = Annotated[Principal, Depends(authenticate)]


def needs(*scopes: str) -> Any:
    """The caller, who must hold every one of `scopes` (403 naming the missing one).

    `principal: Annotated[Principal, needs("users:write")]`. Declared this way the
    scopes also appear in the OpenAPI document (`x-scopes` and `security`).
    """

    async def caller_with_scopes(principal: CurrentPrincipal) -> Principal:
        require_scopes(principal, *scopes)
        return principal

    caller_with_scopes.required_scopes = scopes  # type: ignore[attr-defined]
    return Depends(caller_with_scopes)


def _sessions(request: Request) -> async_sessionmaker[AsyncSession]:
    sessions: async_sessionmaker[AsyncSession] = request.app.state.sessions
    return sessions


async def tenant_session(
    request: Request, principal: CurrentPrincipal
) -> AsyncIterator[AsyncSession]:
    tenant_id_var.set(str(principal.tenant_id))
    async with _sessions(request)() as session, session.begin():
        await scope_to_tenant(session, principal.tenant_id)
        yield session


async def system_session(request: Request) -> AsyncIterator[AsyncSession]:
    """A transaction with no tenant yet (login, signup); RLS hides every tenant row."""
    async with _sessions(request)() as session, session.begin():
        yield session


TenantSession = Annotated[AsyncSession, Depends(tenant_session, scope="function")]
SystemSession = Annotated[AsyncSession, Depends(system_session, scope="function")]
