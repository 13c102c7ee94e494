"""Every query on credit notes and their lines, tenant-scoped."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from millbook_billing.models import CreditNote, CreditNoteLine
from millbook_platform.pagination import PageMeta, PageParams, paginate

SORTABLE = {
    "credit_date": CreditNote.credit_date,
    "total_amount": CreditNote.total_amount,
    "credit_note_number": CreditNote.credit_note_number,
}


@dataclass(frozen=True)
class CreditNoteFilters:
    invoice_id: uuid.UUID | None = None
    customer_id: uuid.UUID | None = None
    date_from: date | None = None
    date_to: date | None = None


@dataclass(frozen=True)
class Credited:
    net: Decimal
    tax: Decimal
    total: Decimal


async def get(
    session: AsyncSession, tenant_id: uuid.UUID, note_id: uuid.UUID, *, lock: bool = False
) -> CreditNote | None:
    statement = select(CreditNote).where(
        CreditNote.tenant_id == tenant_id, CreditNote.id == note_id
    )
    return await session.scalar(statement.with_for_update() if lock else statement)


async def credited_so_far(
    session: AsyncSession, tenant_id: uuid.UUID, invoice_id: uuid.UUID
) -> Credited:
    """What earlier credit notes took from the invoice (read under the invoice's lock)."""
    row = (
        await session.execute(
            select(
                func.coalesce(func.sum(CreditNote.subtotal - CreditNote.discount_amount), 0),
                func.coalesce(func.sum(CreditNote.tax_amount), 0),
                func.coalesce(func.sum(CreditNote.total_amount), 0),
            ).where(CreditNote.tenant_id == tenant_id, CreditNote.invoice_id == invoice_id)
        )
    ).one()
    return Credited(Decimal(row[0]), Decimal(row[1]), Decimal(row[2]))


async def credited_quantities(
    session: AsyncSession, tenant_id: uuid.UUID, invoice_id: uuid.UUID
) -> dict[uuid.UUID, Decimal]:
    """The quantity of each of the invoice's lines its credit notes have credited so far
    (read under the invoice's lock)."""
    rows = await session.execute(
        select(CreditNoteLine.invoice_line_id, func.sum(CreditNoteLine.quantity))
        .join(CreditNote, CreditNote.id == CreditNoteLine.credit_note_id)
        .where(
            CreditNote.tenant_id == tenant_id,
            CreditNote.invoice_id == invoice_id,
            CreditNoteLine.invoice_line_id.is_not(None),
        )
        .group_by(CreditNoteLine.invoice_line_id)
    )
    return {line_id: Decimal(quantity) for line_id, quantity in rows if line_id is not None}


async def lines_of(
    session: AsyncSession, tenant_id: uuid.UUID, note_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[CreditNoteLine]]:
    rows = await session.scalars(
        select(CreditNoteLine)
        .where(CreditNoteLine.tenant_id == tenant_id, CreditNoteLine.credit_note_id.in_(note_ids))
        .order_by(CreditNoteLine.credit_note_id, CreditNoteLine.line_number)
    )
    grouped: dict[uuid.UUID, list[CreditNoteLine]] = {note_id: [] for note_id in note_ids}
    for row in rows:
        grouped[row.credit_note_id].append(row)
    return grouped


async def list_page(
    session: AsyncSession, tenant_id: uuid.UUID, filters: CreditNoteFilters, page: PageParams
) -> tuple[Sequence[CreditNote], PageMeta]:
    statement = select(CreditNote).where(CreditNote.tenant_id == tenant_id)
    if filters.invoice_id is not None:
        statement = statement.where(CreditNote.invoice_id == filters.invoice_id)
    if filters.customer_id is not None:
        statement = statement.where(CreditNote.customer_id == filters.customer_id)
    if filters.date_from is not None:
        statement = statement.where(CreditNote.credit_date >= filters.date_from)
    if filters.date_to is not None:
        statement = statement.where(CreditNote.credit_date <= filters.date_to)
    return await paginate(
        session,
        statement,
        page,
        created_at=CreditNote.created_at,
        row_id=CreditNote.id,
        sortable=SORTABLE,
    )
