"""Helpers that play identity's organization events into sales' read model."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from millbook_contracts.events import OrganizationCreated, OrganizationUpdated
from millbook_platform.db import unit_of_work
from millbook_sales.tenants import projection


async def organization_created(
    sessions: async_sessionmaker[AsyncSession],
    tenant_id: uuid.UUID,
    *,
    name: str = "Acme Tools Ltd",
    base_currency: str = "USD",
    at: datetime | None = None,
) -> None:
    event = OrganizationCreated(
        organization_id=tenant_id,
        name=name,
        base_currency=base_currency,
        created_at=at or datetime.now(UTC),
    )
    envelope = event.envelope(tenant_id=tenant_id, source="/millbook/identity")
    async with unit_of_work(sessions, tenant_id) as session:
        await projection.on_organization_created(session, event, envelope)


async def organization_updated(
    sessions: async_sessionmaker[AsyncSession],
    tenant_id: uuid.UUID,
    *,
    name: str,
    base_currency: str,
    at: datetime,
) -> None:
    event = OrganizationUpdated(
        organization_id=tenant_id,
        name=name,
        base_currency=base_currency,
        timezone="UTC",
        plan_tier="standard",
        changed=["name", "base_currency"],
        updated_at=at,
    )
    envelope = event.envelope(tenant_id=tenant_id, source="/millbook/identity")
    async with unit_of_work(sessions, tenant_id) as session:
        await projection.on_organization_updated(session, event, envelope)
