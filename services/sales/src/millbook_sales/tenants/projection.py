"""Identity's organization events keep the organizations read model (name, base currency).

An event older than what the row already reflects changes nothing, so a replay or a
late redelivery cannot roll the organization back.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from millbook_contracts.envelope import Envelope
from millbook_contracts.events import OrganizationCreated, OrganizationUpdated
from millbook_sales.tenants import repository


async def on_organization_created(
    session: AsyncSession, event: OrganizationCreated, envelope: Envelope
) -> None:
    await repository.record_organization(
        session, envelope.tenant_id, event.name, event.base_currency, event.created_at
    )


async def on_organization_updated(
    session: AsyncSession, event: OrganizationUpdated, envelope: Envelope
) -> None:
    await repository.record_organization(
        session, envelope.tenant_id, event.name, event.base_currency, event.updated_at
    )
