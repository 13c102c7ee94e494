"""Keeps the purchase order and delivery read models from purchasing's events.

Either may arrive first. A purchase order event older than what the row reflects
changes nothing; a delivery is stored once. Each change re-matches the order's bills,
and a delivery posts its goods received to the ledger (a foreign one once a rate covers it).
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from millbook_billing.matching.service import rematch_purchase_order
from millbook_billing.purchase_orders import receipts, repository
from millbook_billing.settings.exchange_rates import repository as exchange_rates
from millbook_contracts.envelope import Envelope
from millbook_contracts.purchasing import (
    DeliveryReceived,
    PurchaseOrderApproved,
    PurchaseOrderCancelled,
    PurchaseOrderCreated,
    PurchaseOrderSent,
)

SOURCE = "/millbook/billing"

PurchaseOrderEvent = (
    PurchaseOrderCreated | PurchaseOrderApproved | PurchaseOrderSent | PurchaseOrderCancelled
)


async def on_purchase_order_changed(
    session: AsyncSession, event: PurchaseOrderEvent, envelope: Envelope
) -> None:
    tenant_id = envelope.tenant_id
    await repository.lock_order(session, event.purchase_order_id)
    values = {
        "po_number": event.po_number,
        "supplier_id": event.supplier_id,
        "supplier_name": event.supplier_name,
        "status": event.status,
        "currency_code": event.currency_code,
        "order_date": event.order_date,
        "expected_date": event.expected_date,
        "payment_terms": event.payment_terms,
        "subtotal": event.subtotal,
        "tax_amount": event.tax_amount,
        "total_amount": event.total_amount,
        "as_of": event.occurred_at,
    }
    if not await repository.upsert_order(session, tenant_id, event.purchase_order_id, values):
        return  # a later fact about this order is already reflected
    lines = [line.model_dump(exclude={"expected_delivery_date"}) for line in event.lines]
    await repository.replace_lines(session, tenant_id, event.purchase_order_id, lines)
    await rematch_purchase_order(session, tenant_id, event.purchase_order_id, source=SOURCE)


async def on_delivery_received(
    session: AsyncSession, event: DeliveryReceived, envelope: Envelope
) -> None:
    tenant_id = envelope.tenant_id
    # The currency's lock first: a rate being set now either covers this receipt here or
    # finds it waiting once this commits.
    await exchange_rates.lock_currency(session, tenant_id, event.currency_code)
    await repository.lock_order(session, event.purchase_order_id)
    values = {
        "purchase_order_id": event.purchase_order_id,
        "delivery_number": event.delivery_number,
        "supplier_id": event.supplier_id,
        "supplier_name": event.supplier_name,
        "currency_code": event.currency_code,
        "delivery_date": event.delivery_date,
        "received_at": event.received_at,
    }
    lines = [line.model_dump(exclude={"quality_status"}) for line in event.lines]
    if not await repository.insert_delivery(session, tenant_id, event.delivery_id, values, lines):
        return
    delivery = await repository.get_delivery(session, tenant_id, event.delivery_id)
    assert delivery is not None
    await receipts.post_receipt(session, tenant_id, delivery)
    await rematch_purchase_order(session, tenant_id, event.purchase_order_id, source=SOURCE)
