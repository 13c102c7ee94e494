"""Every query on payments and their allocations, tenant-scoped."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from millbook_billing.models import Payment, PaymentAllocation
from millbook_platform.pagination import PageMeta, PageParams, paginate

SORTABLE = {
    "payment_date": Payment.payment_date,
    "amount": Payment.amount,
    "payment_number": Payment.payment_number,
}


@dataclass(frozen=True)
class PaymentFilters:
    payment_type: str | None = None
    customer_id: uuid.UUID | None = None
    supplier_id: uuid.UUID | None = None
    date_from: date | None = None
    date_to: date | None = None


async def get(
    session: AsyncSession, tenant_id: uuid.UUID, payment_id: uuid.UUID, *, lock: bool = False
) -> Payment | None:
    statement = select(Payment).where(Payment.tenant_id == tenant_id, Payment.id == payment_id)
    return await session.scalar(statement.with_for_update() if lock else statement)


async def allocations_of(
    session: AsyncSession, tenant_id: uuid.UUID, payment_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[PaymentAllocation]]:
    rows = await session.scalars(
        select(PaymentAllocation)
        .where(
            PaymentAllocation.tenant_id == tenant_id,
            PaymentAllocation.payment_id.in_(payment_ids),
        )
        .order_by(PaymentAllocation.payment_id, PaymentAllocation.created_at, PaymentAllocation.id)
    )
    grouped: dict[uuid.UUID, list[PaymentAllocation]] = {pid: [] for pid in payment_ids}
    for row in rows:
        if row.payment_id is not None:
            grouped[row.payment_id].append(row)
    return grouped


async def list_page(
    session: AsyncSession, tenant_id: uuid.UUID, filters: PaymentFilters, page: PageParams
) -> tuple[Sequence[Payment], PageMeta]:
    statement = select(Payment).where(Payment.tenant_id == tenant_id)
    if filters.payment_type is not None:
        statement = statement.where(Payment.payment_type == filters.payment_type)
    if filters.customer_id is not None:
        statement = statement.where(Payment.customer_id == filters.customer_id)
    if filters.supplier_id is not None:
        statement = statement.where(Payment.supplier_id == filters.supplier_id)
    if filters.date_from is not None:
        statement = statement.where(Payment.payment_date >= filters.date_from)
    if filters.date_to is not None:
        statement = statement.where(Payment.payment_date <= filters.date_to)
    return await paginate(
        session,
        statement,
        page,
        created_at=Payment.created_at,
        row_id=Payment.id,
        sortable=SORTABLE,
    )
