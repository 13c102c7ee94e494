"""FastAPI dependencies: the caller, and the request's unit of work.

The request owns the transaction: `TenantSession` opens it scoped to the
caller's tenant and commits once when the endpoint returns (before the response
is sent, so a failed commit is an error response, never a false success).
Services only flush. A POST whose Idempotency-Key was claimed in the transaction
is committed by the idempotency middleware instead, together with its response.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from millbook_platform.auth import Principal, authenticate, require_scopes
from millbook_platform.db import scope_to_tenant
from millbook_platform.idempotency import CLAIMS_IN_TRANSACTION, claim_of, claims_in_transaction
from millbook_platform.requestctx import tenant_id_var


async def current_principal(
    request: Request, principal: Annotated[Principal, Depends(authenticate)]
) -> Principal:
    """The authenticated caller.

    A POST with an Idempotency-Key to a handler without a `TenantSession` claims
    the key here, in a transaction of its own, before the handler runs (409 if
    another request has it); a handler with one claims it in that transaction.
    """
    claim = claim_of(request.scope)
    if claim is not None and not claims_in_transaction(request.scope.get("route")):
        await claim.take_alone()
    return principal


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


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


@asynccontextmanager
async def _request_transaction(request: Request) -> AsyncIterator[AsyncSession]:
    """The request's one transaction: committed when the block ends, rolled back if it raises.

    If the request's Idempotency-Key was claimed in it, it is handed to the claim
    open instead: the idempotency middleware commits it with the response, so a
    crash leaves both or neither.
    """
    claim = claim_of(request.scope)
    session = _sessions(request)()
    handed_over = False
    try:
        await session.begin()
        yield session
        handed_over = claim is not None and claim.hand_over(session)
        if not handed_over:
            await session.commit()
    finally:
        if not handed_over:
            await session.close()  # rolls back whatever did not commit


async def tenant_session(
    request: Request, principal: CurrentPrincipal
) -> AsyncIterator[AsyncSession]:
    """The request's transaction, scoped to the caller's tenant.

    A POST with an Idempotency-Key claims the key in this transaction before the
    handler runs, so the claim commits or rolls back with the business change
    (see `idempotency`); 409 if another request holds the key.
    """
    tenant_id_var.set(str(principal.tenant_id))
    claim = claim_of(request.scope)
    async with _request_transaction(request) as session:
        await scope_to_tenant(session, principal.tenant_id)
        if claim is not None:
            await claim.take(session)
        yield session


setattr(tenant_session, CLAIMS_IN_TRANSACTION, True)


async def system_session(request: Request) -> AsyncIterator[AsyncSession]:
    """A transaction with no tenant yet (login, signup); RLS hides every tenant row.

    An authenticated POST with an Idempotency-Key claims it here, as `tenant_session` does.
    """
    claim = claim_of(request.scope)
    async with _request_transaction(request) as session:
        if claim is not None:
            await claim.take(session)
        yield session


setattr(system_session, CLAIMS_IN_TRANSACTION, True)


TenantSession = Annotated[AsyncSession, Depends(tenant_session, scope="function")]
SystemSession = Annotated[AsyncSession, Depends(system_session, scope="function")]


def _event_source(request: Request) -> str:
    source: str = request.app.state.runtime.settings.source
    return source


# The CloudEvents `ce_source` of the events a request records (`/millbook/<service>`).
EventSource = Annotated[str, Depends(_event_source)]
