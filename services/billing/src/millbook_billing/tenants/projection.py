"""The organizations read model, fed by identity; a new tenant also gets its chart of accounts.

An event older than what the row reflects changes nothing, so a replay or a late
redelivery cannot roll an organization back.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from millbook_billing.ledger.service import ensure_chart
from millbook_billing.models.tenants import Organization
from millbook_contracts.envelope import Envelope
from millbook_contracts.events import OrganizationCreated, OrganizationUpdated
from millbook_platform.db import utcnow


async def on_organization_created(
    session: AsyncSession, event: OrganizationCreated, envelope: Envelope
) -> None:
    await _upsert(session, envelope, event.name, event.base_currency, event.created_at)


async def on_organization_updated(
    session: AsyncSession, event: OrganizationUpdated, envelope: Envelope
) -> None:
    await _upsert(session, envelope, event.name, event.base_currency, event.updated_at)


async def _upsert(
    session: AsyncSession, envelope: Envelope, name: str, currency: str, at: datetime
) -> None:
    values = {"name": name, "base_currency": currency, "as_of": at, "updated_at": utcnow()}
    statement = insert(Organization).values(tenant_id=envelope.tenant_id, **values)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["tenant_id"],
            set_=values,
            where=Organization.as_of <= statement.excluded.as_of,
        )
    )
    await ensure_chart(session, envelope.tenant_id)
