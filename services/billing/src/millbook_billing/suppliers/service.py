"""A request's reference to a supplier, which purchasing owns and billing learns from events."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from millbook_billing.suppliers.repository import SupplierRecord, await_supplier
from millbook_platform.errors import NotFound, field_error


async def supplier_of(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    supplier_id: uuid.UUID,
    *,
    field: str = "supplier_id",
) -> SupplierRecord:
    """The referenced supplier, waited for briefly if purchasing's event has not landed yet.

    Only then is it a 404 naming the body field, as every body reference to a missing
    resource is in Millbook: an unknown, or another tenant's supplier answer alike.
    """
    supplier = await await_supplier(session, tenant_id, supplier_id)
    if supplier is None:
        raise NotFound("No such supplier.", details=[field_error(field, "no such supplier")])
    return supplier
