"""The customers read model: sales' customers as billing needs them (`get_customer`).

A customer sales created a moment ago may not be here yet: `await_customer` waits
briefly for it (`millbook_platform.read_models`), woken by the projection's `announce`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from millbook_billing.models import BillingCustomer
from millbook_platform import read_models

DELETED = "deleted"
TABLE = BillingCustomer.__tablename__


@dataclass(frozen=True)
class CustomerRecord:
    id: uuid.UUID
    customer_code: str
    name: str
    company: str | None
    primary_email: str | None
    billing_address: dict[str, Any] | None  # line1, line2, city, state, postal_code, country
    payment_terms: str | None
    currency_code: str
    tax_number: str | None
    status: str  # active | inactive


async def get_customer(
    session: AsyncSession, tenant_id: uuid.UUID, customer_id: uuid.UUID
) -> CustomerRecord | None:
    """The tenant's customer, or None when unknown, another tenant's, or deleted."""
    row = await session.scalar(
        select(BillingCustomer).where(
            BillingCustomer.tenant_id == tenant_id,
            BillingCustomer.customer_id == customer_id,
            BillingCustomer.status != DELETED,
        )
    )
    if row is None:
        return None
    return CustomerRecord(
        id=row.customer_id,
        customer_code=row.customer_code,
        name=row.name,
        company=row.company,
        primary_email=row.primary_email,
        billing_address=row.billing_address,
        payment_terms=row.payment_terms,
        currency_code=row.currency_code,
        tax_number=row.tax_number,
        status=row.status,
    )


async def await_customer(
    session: AsyncSession, tenant_id: uuid.UUID, customer_id: uuid.UUID
) -> CustomerRecord | None:
    """The tenant's customer, waiting up to `read_models.WAIT_S` for sales' event to land."""
    return await read_models.await_row(
        session,
        lambda: get_customer(session, tenant_id, customer_id),
        table=TABLE,
        tenant_id=tenant_id,
        row_id=customer_id,
    )


async def upsert(
    session: AsyncSession, tenant_id: uuid.UUID, customer_id: uuid.UUID, values: dict[str, Any]
) -> None:
    """Insert or update, unless the row already reflects a later fact (`as_of`)."""
    statement = insert(BillingCustomer).values(
        tenant_id=tenant_id, customer_id=customer_id, **values
    )
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["tenant_id", "customer_id"],
            set_=values,
            where=BillingCustomer.as_of <= statement.excluded.as_of,
        )
    )
    await read_models.announce(session, TABLE, tenant_id, customer_id)


async def mark_deleted(
    session: AsyncSession, tenant_id: uuid.UUID, customer_id: uuid.UUID, at: datetime
) -> None:
    # Kept, not removed: issued invoices still name the customer.
    await session.execute(
        update(BillingCustomer)
        .where(
            BillingCustomer.tenant_id == tenant_id,
            BillingCustomer.customer_id == customer_id,
            BillingCustomer.as_of <= at,
        )
        .values(status=DELETED, as_of=at)
    )
