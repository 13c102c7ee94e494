"""Goods received: Inventory / Goods Received Not Invoiced at the PO price x accepted quantity.

A receipt in the tenant's base currency posts when it arrives. One in a foreign
currency has no rate of its own: it posts when the first bill of its order is
approved, at that bill's fixed rate, so GRNI clears at the same rate it was booked.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from millbook_billing.ledger.postings import Fx, Party, goods_received
from millbook_billing.ledger.service import post_entry
from millbook_billing.models import Delivery
from millbook_billing.purchase_orders import repository
from millbook_billing.tenants.service import base_currency
from millbook_platform.db import utcnow
from millbook_platform.money import round_money

ZERO = Decimal(0)


async def post_receipt(
    session: AsyncSession, tenant_id: uuid.UUID, delivery: Delivery, *, fx: Fx | None = None
) -> bool:
    """Post the receipt once; False when it is already posted or must wait for a rate."""
    if delivery.posted_at is not None:
        return False
    if fx is None:
        base = await base_currency(session, tenant_id)
        if delivery.currency_code != base:
            return False
        fx = Fx.same(base)
    value = await receipt_value(session, tenant_id, delivery)
    if value > 0:
        supplier = Party("supplier", delivery.supplier_id, delivery.supplier_name)
        draft = goods_received(
            delivery_id=delivery.id,
            supplier=supplier,
            entry_date=delivery.delivery_date,
            value=value,
            fx=fx,
        )
        await post_entry(session, tenant_id, draft)
    delivery.posted_at = utcnow()
    await repository.mark_posted(session, tenant_id, delivery.id, delivery.posted_at)
    return True


async def post_waiting_receipts(
    session: AsyncSession, tenant_id: uuid.UUID, purchase_order_id: uuid.UUID, fx: Fx
) -> None:
    """Post the order's receipts still waiting for a rate, at `fx` (a bill's)."""
    for delivery in await repository.deliveries_of(session, tenant_id, purchase_order_id):
        if delivery.currency_code == fx.currency_code:
            await post_receipt(session, tenant_id, delivery, fx=fx)


async def receipt_value(session: AsyncSession, tenant_id: uuid.UUID, delivery: Delivery) -> Decimal:
    """Accepted quantity x the PO line's price (the delivery's unit cost until the PO is known)."""
    po_prices = {
        line.line_number: line.unit_price
        for line in await repository.lines_of(session, tenant_id, delivery.purchase_order_id)
    }
    total = ZERO
    for line in await repository.delivery_lines_of(session, tenant_id, delivery.id):
        price = po_prices.get(line.po_line_number, line.unit_cost)
        total += round_money(line.quantity_accepted * price, delivery.currency_code)
    return total
