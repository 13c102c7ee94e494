"""A service's app run in-process for integration tests, and what it wrote to its outbox."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from millbook_platform.auth import JwksVerifier
from millbook_platform.tables import OutboxRow


@asynccontextmanager
async def in_process(
    app: FastAPI, *, verifier: JwksVerifier | None = None, base_url: str = "http://service"
) -> AsyncIterator[httpx.AsyncClient]:
    """Start the app's lifespan and talk to it over ASGI; `verifier` replaces identity's JWKS."""
    async with app.router.lifespan_context(app):
        if verifier is not None:
            app.state.verifier = verifier
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=base_url) as client:
            yield client


async def recorded_events(
    sessions: async_sessionmaker[AsyncSession],
    event_type: str,
    *,
    tenant_id: uuid.UUID | None = None,
    subject: object | None = None,
) -> list[dict[str, Any]]:
    """Payloads of the outbox rows of `event_type` (of a tenant, about a subject), oldest first.

    Reads across tenants (the outbox has no row-level security), so a test can check
    that an event went to the right tenant.
    """
    statement = select(OutboxRow).where(OutboxRow.event_type == event_type)
    if tenant_id is not None:
        statement = statement.where(OutboxRow.tenant_id == tenant_id)
    if subject is not None:
        statement = statement.where(OutboxRow.key == str(subject))
    async with sessions() as session:
        rows = (await session.scalars(statement.order_by(OutboxRow.id))).all()
    return [json.loads(row.payload) for row in rows]
