"""Keeps the customers read model from sales' customer events.

An event older than what a row already reflects changes nothing, so a replay or a
late redelivery cannot roll a customer back.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from millbook_billing.customers import repository
from millbook_contracts.envelope import Envelope
from millbook_contracts.sales import (
    CustomerArchived,
    CustomerCreated,
    CustomerDeleted,
    CustomerUpdated,
)


async def on_customer_changed(
    session: AsyncSession,
    event: CustomerCreated | CustomerUpdated | CustomerArchived,
    envelope: Envelope,
) -> None:
    values = {
        "customer_code": event.customer_code,
        "name": event.name,
        "company": event.company,
        "primary_email": event.primary_email,
        "billing_address": (
            event.billing_address.model_dump(mode="json") if event.billing_address else None
        ),
        "payment_terms": event.payment_terms,
        "currency_code": event.currency_code,
        "tax_number": event.tax_number,
        "status": event.status,
        "as_of": event.occurred_at,
    }
    await repository.upsert(session, envelope.tenant_id, event.customer_id, values)


async def on_customer_deleted(
    session: AsyncSession, event: CustomerDeleted, envelope: Envelope
) -> None:
    await repository.mark_deleted(session, envelope.tenant_id, event.customer_id, event.deleted_at)
