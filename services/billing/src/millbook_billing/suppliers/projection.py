"""Keeps the suppliers read model from purchasing's supplier events.

An event older than what the row already reflects changes nothing, so a replay or a
late redelivery cannot roll a supplier back.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from millbook_billing.suppliers import repository
from millbook_contracts.envelope import Envelope
from millbook_contracts.purchasing import SupplierCreated, SupplierUpdated


async def on_supplier_changed(
    session: AsyncSession, event: SupplierCreated | SupplierUpdated, envelope: Envelope
) -> None:
    values = {
        "supplier_code": event.supplier_code,
        "name": event.name,
        "email": event.email,
        "payment_terms": event.payment_terms,
        "currency_code": event.currency_code,
        "address": event.address.model_dump(mode="json") if event.address else None,
        "tax_number": event.tax_number,
        "status": event.status,
        "as_of": event.occurred_at,
    }
    await repository.upsert(session, envelope.tenant_id, event.supplier_id, values)
