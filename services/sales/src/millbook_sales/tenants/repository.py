"""The organizations read model's queries: one row per tenant."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from millbook_platform.db import utcnow
from millbook_sales.models import SalesOrganization


async def get(session: AsyncSession, tenant_id: uuid.UUID) -> SalesOrganization | None:
    return await session.scalar(
        select(SalesOrganization).where(SalesOrganization.tenant_id == tenant_id)
    )


async def record_organization(
    session: AsyncSession, tenant_id: uuid.UUID, name: str, base_currency: str, at: datetime
) -> None:
    """Identity's view of the organization, unless the row already reflects a newer one."""
    values = {"name": name, "base_currency": base_currency, "as_of": at, "updated_at": utcnow()}
    statement = insert(SalesOrganization).values(tenant_id=tenant_id, **values)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["tenant_id"],
            set_=values,
            where=(SalesOrganization.as_of.is_(None))
            | (SalesOrganization.as_of <= statement.excluded.as_of),
        )
    )


async def set_accepted_currencies(
    session: AsyncSession, tenant_id: uuid.UUID, currencies: Sequence[str]
) -> None:
    values = {"accepted_currencies": list(currencies), "updated_at": utcnow()}
    statement = insert(SalesOrganization).values(tenant_id=tenant_id, **values)
    await session.execute(
        statement.on_conflict_do_update(index_elements=["tenant_id"], set_=values)
    )
