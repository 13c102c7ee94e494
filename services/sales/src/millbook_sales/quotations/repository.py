"""Every query on quotations and their lines."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from millbook_platform.pagination import PageMeta, PageParams, paginate
from millbook_sales.models import Quotation, QuotationLine

SORTABLE = {
    "quotation_date": Quotation.quotation_date,
    "total_amount": Quotation.total_amount,
    "quote_number": Quotation.quote_number,
}


@dataclass(frozen=True)
class QuotationFilters:
    status: str | None = None
    customer_id: uuid.UUID | None = None
    date_from: date | None = None
    date_to: date | None = None


async def get(
    session: AsyncSession, tenant_id: uuid.UUID, quotation_id: uuid.UUID, *, lock: bool = False
) -> Quotation | None:
    statement = select(Quotation).where(
        Quotation.tenant_id == tenant_id, Quotation.id == quotation_id
    )
    return await session.scalar(statement.with_for_update() if lock else statement)


async def lines_of(
    session: AsyncSession, tenant_id: uuid.UUID, quotation_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[QuotationLine]]:
    rows = await session.scalars(
        select(QuotationLine)
        .where(QuotationLine.tenant_id == tenant_id, QuotationLine.quotation_id.in_(quotation_ids))
        .order_by(QuotationLine.quotation_id, QuotationLine.line_number)
    )
    grouped: dict[uuid.UUID, list[QuotationLine]] = {qid: [] for qid in quotation_ids}
    for row in rows:
        grouped[row.quotation_id].append(row)
    return grouped


async def remove_lines(
    session: AsyncSession, tenant_id: uuid.UUID, quotation_id: uuid.UUID
) -> None:
    await session.execute(
        delete(QuotationLine).where(
            QuotationLine.tenant_id == tenant_id, QuotationLine.quotation_id == quotation_id
        )
    )


async def remove(session: AsyncSession, tenant_id: uuid.UUID, quotation_id: uuid.UUID) -> None:
    """The quotation and (by cascade) its lines."""
    await session.execute(
        delete(Quotation).where(Quotation.tenant_id == tenant_id, Quotation.id == quotation_id)
    )


async def overdue_sent(session: AsyncSession, today: date, limit: int) -> Sequence[Quotation]:
    """Sent quotations valid only until before `today`, across tenants, locked; rows another
    transaction holds are skipped, so two expiry jobs never take the same quotation."""
    statement = (
        select(Quotation)
        .where(Quotation.status == "sent", Quotation.valid_until < today)
        .order_by(Quotation.valid_until, Quotation.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return (await session.scalars(statement)).all()


async def list_page(
    session: AsyncSession, tenant_id: uuid.UUID, filters: QuotationFilters, page: PageParams
) -> tuple[Sequence[Quotation], PageMeta]:
    statement = select(Quotation).where(Quotation.tenant_id == tenant_id)
    if filters.status is not None:
        statement = statement.where(Quotation.status == filters.status)
    if filters.customer_id is not None:
        statement = statement.where(Quotation.customer_id == filters.customer_id)
    if filters.date_from is not None:
        statement = statement.where(Quotation.quotation_date >= filters.date_from)
    if filters.date_to is not None:
        statement = statement.where(Quotation.quotation_date <= filters.date_to)
    return await paginate(
        session,
        statement,
        page,
        created_at=Quotation.created_at,
        row_id=Quotation.id,
        sortable=SORTABLE,
    )
