"""What billing knows about each tenant: its name and base currency (from identity's events)."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from millbook_billing.models.tenants import Organization

DEFAULT_BASE_CURRENCY = "USD"


async def base_currency(session: AsyncSession, tenant_id: uuid.UUID) -> str:
    """The tenant's base currency; USD until identity's organization event has arrived."""
    found = await session.scalar(
        select(Organization.base_currency).where(Organization.tenant_id == tenant_id)
    )
    return found or DEFAULT_BASE_CURRENCY


async def organization_name(session: AsyncSession, tenant_id: uuid.UUID) -> str | None:
    return await session.scalar(
        select(Organization.name).where(Organization.tenant_id == tenant_id)
    )
