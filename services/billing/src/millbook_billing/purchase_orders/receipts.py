"""Goods received: Inventory / Goods Received Not Invoiced at the PO price x accepted quantity.

A receipt in the tenant's base currency posts when it arrives. One in a foreign currency
posts at the tenant's exchange rate effective on its delivery date; with none known it
waits, and posts when a rate that covers it is set or, at the latest, when a bill of its
order is approved (at that bill's rate). The rate and each line's GRNI base are kept on
the delivery, so a bill clears GRNI at what the receipts booked (`grni`).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from millbook_billing.ledger.postings import Fx, Party, goods_received
from millbook_billing.ledger.service import post_entry
from millbook_billing.models import Bill, BillLine, Delivery, DeliveryLine
from millbook_billing.purchase_orders import grni, repository
from millbook_billing.settings.exchange_rates import repository as exchange_rates
from millbook_billing.settings.exchange_rates.domain import rate_on
from millbook_billing.tenants.service import base_currency
from millbook_platform.db import utcnow
from millbook_platform.money import round_money

ZERO = Decimal(0)


async def post_receipt(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    delivery: Delivery,
    *,
    fx: Fx | None = None,
    excluding_bill: uuid.UUID | None = None,
) -> bool:
    """Post the receipt once; False when it is already posted or must wait for a rate.

    The caller holds the order's lock (and, when no `fx` is given, the currency's).
    `excluding_bill` is a bill being approved: it has not taken anything off GRNI yet.
    """
    if delivery.posted_at is not None:
        return False
    if fx is None:
        fx = await rate_for(session, tenant_id, delivery)
        if fx is None:
            return False
    lines = await repository.delivery_lines_of(session, tenant_id, delivery.id)
    moves = await _moves(session, tenant_id, delivery, lines)
    carried = await repository.carried_grni(
        session, tenant_id, delivery.purchase_order_id, excluding_bill=excluding_bill
    )
    bases, _ = grni.move_lines(carried, grni.RECEIPT, moves, fx)
    value = sum((round_money(m.quantity * m.price, fx.currency_code) for m in moves), ZERO)
    if value > 0 or any(bases):
        supplier = Party("supplier", delivery.supplier_id, delivery.supplier_name)
        draft = goods_received(
            delivery_id=delivery.id,
            supplier=supplier,
            entry_date=delivery.delivery_date,
            value=value,
            fx=fx,
            grni=sum(bases, ZERO),
        )
        await post_entry(session, tenant_id, draft)
    delivery.posted_at, delivery.booked_rate = utcnow(), fx.rate
    booked = {line.id: base for line, base in zip(lines, bases, strict=True)}
    await repository.mark_booked(
        session, tenant_id, delivery.id, delivery.posted_at, fx.rate, booked
    )
    return True


async def rate_for(session: AsyncSession, tenant_id: uuid.UUID, delivery: Delivery) -> Fx | None:
    """The receipt's rate to base: 1 in the base currency, else the tenant's rate effective
    on its delivery date, else None."""
    base = await base_currency(session, tenant_id)
    if delivery.currency_code == base:
        return Fx.same(base)
    rate = await exchange_rates.latest_rate(
        session, tenant_id, delivery.currency_code, delivery.delivery_date
    )
    return None if rate is None else Fx(delivery.currency_code, base, rate)


async def post_receipts_covered(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    currency_code: str,
    base: str,
    rates: Sequence[tuple[date, Decimal]],
) -> int:
    """Post each waiting receipt in the currency that one of `rates` now covers; returns
    how many posted. The caller holds the currency's lock."""
    posted = 0
    for delivery in await repository.waiting_in(session, tenant_id, currency_code):
        rate = rate_on(rates, delivery.delivery_date)
        if rate is None:
            continue
        await repository.lock_order(session, delivery.purchase_order_id)
        await session.refresh(delivery)  # a bill's approval may have posted it meanwhile
        fx = Fx(currency_code, base, rate)
        posted += await post_receipt(session, tenant_id, delivery, fx=fx)
    return posted


async def post_waiting_receipts(
    session: AsyncSession, tenant_id: uuid.UUID, bill: Bill, fx: Fx
) -> None:
    """Post the bill's order's receipts still waiting for a rate, at `fx` (the bill's),
    before the bill clears GRNI."""
    assert bill.purchase_order_id is not None
    for delivery in await repository.deliveries_of(session, tenant_id, bill.purchase_order_id):
        if delivery.currency_code == fx.currency_code:
            await post_receipt(session, tenant_id, delivery, fx=fx, excluding_bill=bill.id)


async def clear_for_bill(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    bill: Bill,
    lines: Sequence[BillLine],
    po_prices: dict[int, Decimal],
    fx: Fx,
) -> Decimal:
    """The base an approved bill takes off GRNI, kept on each goods line: per PO line, the
    received units' booked base (the last units take what is left); units billed ahead of
    receipt at the bill's rate."""
    assert bill.purchase_order_id is not None
    goods = [line for line in lines if line.po_line_number is not None]
    moves = [
        grni.LineMove(n, line.quantity, po_prices.get(n, line.unit_price))
        for line in goods
        if (n := line.po_line_number) is not None
    ]
    carried = await repository.carried_grni(
        session, tenant_id, bill.purchase_order_id, excluding_bill=bill.id
    )
    bases, _ = grni.move_lines(carried, grni.BILL, moves, fx)
    for line, base in zip(goods, bases, strict=True):
        line.grni_base = base
    await session.flush()
    return sum(bases, ZERO)


async def _moves(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    delivery: Delivery,
    lines: Sequence[DeliveryLine],
) -> list[grni.LineMove]:
    """Accepted quantity x the PO line's price (the delivery's unit cost until the PO is known)."""
    po_prices = {
        line.line_number: line.unit_price
        for line in await repository.lines_of(session, tenant_id, delivery.purchase_order_id)
    }
    return [
        grni.LineMove(
            line.po_line_number,
            line.quantity_accepted,
            po_prices.get(line.po_line_number, line.unit_cost),
        )
        for line in lines
    ]
