"""Every query on the purchase order and delivery read models."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from millbook_billing.bills.domain import BillStatus
from millbook_billing.models import (
    Bill,
    BillLine,
    Delivery,
    DeliveryLine,
    PurchaseOrder,
    PurchaseOrderLine,
)
from millbook_billing.purchase_orders.grni import Carried
from millbook_platform import read_models

# Bills that have debited GRNI and not been voided (a void reverses its posting).
BILLED = (BillStatus.OPEN, BillStatus.PARTIAL, BillStatus.PAID)
ORDERS = PurchaseOrder.__tablename__


async def get(
    session: AsyncSession, tenant_id: uuid.UUID, purchase_order_id: uuid.UUID
) -> PurchaseOrder | None:
    return await session.scalar(
        select(PurchaseOrder).where(
            PurchaseOrder.tenant_id == tenant_id, PurchaseOrder.id == purchase_order_id
        )
    )


async def await_order(
    session: AsyncSession, tenant_id: uuid.UUID, purchase_order_id: uuid.UUID
) -> PurchaseOrder | None:
    """The order, waiting up to `read_models.WAIT_S` for purchasing's event to land."""
    return await read_models.await_row(
        session,
        lambda: get(session, tenant_id, purchase_order_id),
        table=ORDERS,
        tenant_id=tenant_id,
        row_id=purchase_order_id,
    )


async def lines_of(
    session: AsyncSession, tenant_id: uuid.UUID, purchase_order_id: uuid.UUID
) -> list[PurchaseOrderLine]:
    rows = await session.scalars(
        select(PurchaseOrderLine)
        .where(
            PurchaseOrderLine.tenant_id == tenant_id,
            PurchaseOrderLine.purchase_order_id == purchase_order_id,
        )
        .order_by(PurchaseOrderLine.line_number)
    )
    return list(rows)


async def upsert_order(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    purchase_order_id: uuid.UUID,
    values: dict[str, Any],
) -> bool:
    """Insert or update the order; False when the row already reflects a later fact."""
    statement = insert(PurchaseOrder).values(id=purchase_order_id, tenant_id=tenant_id, **values)
    written = await session.scalar(
        statement.on_conflict_do_update(
            index_elements=["id"],
            set_={**values, "updated_at": func.now()},
            where=(PurchaseOrder.tenant_id == tenant_id)
            & (PurchaseOrder.as_of <= statement.excluded.as_of),
        ).returning(PurchaseOrder.id)
    )
    if written is not None:
        await read_models.announce(session, ORDERS, tenant_id, purchase_order_id)
    return written is not None


async def replace_lines(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    purchase_order_id: uuid.UUID,
    lines: Sequence[dict[str, Any]],
) -> None:
    await session.execute(
        delete(PurchaseOrderLine).where(
            PurchaseOrderLine.tenant_id == tenant_id,
            PurchaseOrderLine.purchase_order_id == purchase_order_id,
        )
    )
    if lines:
        await session.execute(
            insert(PurchaseOrderLine).values(
                [
                    {"tenant_id": tenant_id, "purchase_order_id": purchase_order_id, **line}
                    for line in lines
                ]
            )
        )


async def insert_delivery(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    delivery_id: uuid.UUID,
    values: dict[str, Any],
    lines: Sequence[dict[str, Any]],
) -> bool:
    """Store a goods receipt once (a receipt is an immutable fact); False if already known."""
    written = await session.scalar(
        insert(Delivery)
        .values(id=delivery_id, tenant_id=tenant_id, **values)
        .on_conflict_do_nothing(index_elements=["id"])
        .returning(Delivery.id)
    )
    if written is None:
        return False
    if lines:
        await session.execute(
            insert(DeliveryLine).values(
                [{"tenant_id": tenant_id, "delivery_id": delivery_id, **line} for line in lines]
            )
        )
    return True


async def deliveries_of(
    session: AsyncSession, tenant_id: uuid.UUID, purchase_order_id: uuid.UUID
) -> list[Delivery]:
    rows = await session.scalars(
        select(Delivery)
        .where(Delivery.tenant_id == tenant_id, Delivery.purchase_order_id == purchase_order_id)
        .order_by(Delivery.received_at, Delivery.id)
    )
    return list(rows)


async def delivery_lines_of(
    session: AsyncSession, tenant_id: uuid.UUID, delivery_id: uuid.UUID
) -> list[DeliveryLine]:
    rows = await session.scalars(
        select(DeliveryLine)
        .where(DeliveryLine.tenant_id == tenant_id, DeliveryLine.delivery_id == delivery_id)
        .order_by(DeliveryLine.po_line_number)
    )
    return list(rows)


async def accepted_quantities(
    session: AsyncSession, tenant_id: uuid.UUID, purchase_order_id: uuid.UUID
) -> dict[int, Decimal]:
    """Received-and-accepted quantity per PO line, over every delivery of the order."""
    rows = await session.execute(
        select(DeliveryLine.po_line_number, func.sum(DeliveryLine.quantity_accepted))
        .join(Delivery, Delivery.id == DeliveryLine.delivery_id)
        .where(Delivery.tenant_id == tenant_id, Delivery.purchase_order_id == purchase_order_id)
        .group_by(DeliveryLine.po_line_number)
    )
    return {int(number): Decimal(total) for number, total in rows.all()}


async def mark_booked(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    delivery_id: uuid.UUID,
    at: datetime,
    rate: Decimal,
    line_bases: Mapping[uuid.UUID, Decimal],
) -> None:
    """Mark the receipt posted at `rate`, with what each of its lines credited to GRNI."""
    await session.execute(
        update(Delivery)
        .where(Delivery.tenant_id == tenant_id, Delivery.id == delivery_id)
        .values(posted_at=at, booked_rate=rate)
    )
    for line_id, base in line_bases.items():
        await session.execute(
            update(DeliveryLine)
            .where(DeliveryLine.tenant_id == tenant_id, DeliveryLine.id == line_id)
            .values(booked_base=base)
        )


async def waiting_in(
    session: AsyncSession, tenant_id: uuid.UUID, currency_code: str
) -> list[Delivery]:
    """The receipts in a currency not yet posted, order by order, oldest first."""
    rows = await session.scalars(
        select(Delivery)
        .where(
            Delivery.tenant_id == tenant_id,
            Delivery.currency_code == currency_code,
            Delivery.posted_at.is_(None),
        )
        .order_by(
            Delivery.purchase_order_id, Delivery.delivery_date, Delivery.received_at, Delivery.id
        )
    )
    return list(rows)


async def carried_grni(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    purchase_order_id: uuid.UUID,
    *,
    excluding_bill: uuid.UUID | None = None,
) -> dict[int, Carried]:
    """What GRNI carries per PO line: posted receipts' accepted quantity and booked base,
    less approved (not voided) bills' quantity and cleared base."""
    received = await session.execute(
        select(
            DeliveryLine.po_line_number,
            func.sum(DeliveryLine.quantity_accepted),
            func.coalesce(func.sum(DeliveryLine.booked_base), 0),
        )
        .join(Delivery, Delivery.id == DeliveryLine.delivery_id)
        .where(
            Delivery.tenant_id == tenant_id,
            Delivery.purchase_order_id == purchase_order_id,
            Delivery.posted_at.is_not(None),
        )
        .group_by(DeliveryLine.po_line_number)
    )
    billed_filter = [
        Bill.tenant_id == tenant_id,
        Bill.purchase_order_id == purchase_order_id,
        Bill.status.in_(BILLED),
        BillLine.po_line_number.is_not(None),
    ]
    if excluding_bill is not None:
        billed_filter.append(Bill.id != excluding_bill)
    billed = await session.execute(
        select(
            BillLine.po_line_number,
            func.sum(BillLine.quantity),
            func.coalesce(func.sum(BillLine.grni_base), 0),
        )
        .join(Bill, Bill.id == BillLine.bill_id)
        .where(*billed_filter)
        .group_by(BillLine.po_line_number)
    )
    carried = {int(n or 0): Carried(Decimal(q or 0), Decimal(b or 0)) for n, q, b in received.all()}
    for number, quantity, base in billed.all():
        before = carried.get(int(number or 0), Carried())
        carried[int(number or 0)] = Carried(
            before.quantity - Decimal(quantity or 0), before.base - Decimal(base or 0)
        )
    return carried


async def get_delivery(
    session: AsyncSession, tenant_id: uuid.UUID, delivery_id: uuid.UUID
) -> Delivery | None:
    return await session.scalar(
        select(Delivery).where(Delivery.tenant_id == tenant_id, Delivery.id == delivery_id)
    )


async def lock_order(session: AsyncSession, purchase_order_id: uuid.UUID) -> None:
    """Serialize, until the transaction ends, every change that re-matches this order's bills.

    Taken before any bill row lock, by requests and consumers alike, so a match is never
    computed from a snapshot another transaction is about to change, and locks never cross.
    """
    await session.execute(
        select(func.pg_advisory_xact_lock(func.hashtextextended(f"po:{purchase_order_id}", 0)))
    )
