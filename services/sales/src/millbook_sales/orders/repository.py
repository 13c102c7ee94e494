"""Every query on orders and their lines."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from millbook_platform.pagination import PageMeta, PageParams, paginate
from millbook_sales.models import Order, OrderLine

SORTABLE = {"order_date": Order.order_date, "order_number": Order.order_number}


async def get(
    session: AsyncSession, tenant_id: uuid.UUID, order_id: uuid.UUID, *, lock: bool = False
) -> Order | None:
    statement = select(Order).where(Order.tenant_id == tenant_id, Order.id == order_id)
    return await session.scalar(statement.with_for_update() if lock else statement)


async def for_quotation(
    session: AsyncSession, tenant_id: uuid.UUID, quotation_id: uuid.UUID
) -> Order | None:
    return await session.scalar(
        select(Order).where(Order.tenant_id == tenant_id, Order.quotation_id == quotation_id)
    )


async def lines_of(
    session: AsyncSession, tenant_id: uuid.UUID, order_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[OrderLine]]:
    rows = await session.scalars(
        select(OrderLine)
        .where(OrderLine.tenant_id == tenant_id, OrderLine.order_id.in_(order_ids))
        .order_by(OrderLine.order_id, OrderLine.line_number)
    )
    grouped: dict[uuid.UUID, list[OrderLine]] = {oid: [] for oid in order_ids}
    for row in rows:
        grouped[row.order_id].append(row)
    return grouped


async def list_page(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    status: str | None,
    customer_id: uuid.UUID | None,
    page: PageParams,
) -> tuple[Sequence[Order], PageMeta]:
    statement = select(Order).where(Order.tenant_id == tenant_id)
    if status is not None:
        statement = statement.where(Order.status == status)
    if customer_id is not None:
        statement = statement.where(Order.customer_id == customer_id)
    return await paginate(
        session, statement, page, created_at=Order.created_at, row_id=Order.id, sortable=SORTABLE
    )
