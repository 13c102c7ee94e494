"""A request's reference to a customer, which sales owns and billing learns from events."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from millbook_billing.customers.repository import CustomerRecord, await_customer
from millbook_platform.errors import NotFound, field_error


async def customer_of(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    customer_id: uuid.UUID,
    *,
    field: str = "customer_id",
) -> CustomerRecord:
    """The referenced customer, waited for briefly if sales' event has not landed yet.

    Only then is it a 404 naming the body field, as every body reference to a missing
    resource is in Millbook: an unknown, deleted, or another tenant's customer answer alike.
    """
    customer = await await_customer(session, tenant_id, customer_id)
    if customer is None:
        raise NotFound("No such customer.", details=[field_error(field, "no such customer")])
    return customer
