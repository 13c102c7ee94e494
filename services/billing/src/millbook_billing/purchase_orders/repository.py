"""Every query on the purchase order and delivery read models."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from millbook_billing.models import Delivery, DeliveryLine, PurchaseOrder, PurchaseOrderLine


async def get(
    session: AsyncSession, tenant_id: uuid.UUID, purchase_order_id: uuid.UUID
) -> PurchaseOrder | None:
    return await session.scalar(
        select(PurchaseOrder).where(
            PurchaseOrder.tenant_id == tenant_id, PurchaseOrder.id == purchase_order_id
        )
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


async def mark_posted(
    session: AsyncSession, tenant_id: uuid.UUID, delivery_id: uuid.UUID, at: datetime
) -> None:
    await session.execute(
        update(Delivery)
        .where(Delivery.tenant_id == tenant_id, Delivery.id == delivery_id)
        .values(posted_at=at)
    )


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
