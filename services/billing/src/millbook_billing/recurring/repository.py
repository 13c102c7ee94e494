"""Every query on recurring schedules and their template lines."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from millbook_billing.models import Invoice, RecurringInvoice, RecurringInvoiceLine
from millbook_billing.recurring.domain import ScheduleStatus
from millbook_platform.pagination import PageMeta, PageParams, paginate

SORTABLE = {"next_date": RecurringInvoice.next_date, "status": RecurringInvoice.status}


async def get(
    session: AsyncSession, tenant_id: uuid.UUID, schedule_id: uuid.UUID, *, lock: bool = False
) -> RecurringInvoice | None:
    statement = select(RecurringInvoice).where(
        RecurringInvoice.tenant_id == tenant_id, RecurringInvoice.id == schedule_id
    )
    return await session.scalar(statement.with_for_update() if lock else statement)


async def lines_of(
    session: AsyncSession, tenant_id: uuid.UUID, schedule_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[RecurringInvoiceLine]]:
    rows = await session.scalars(
        select(RecurringInvoiceLine)
        .where(
            RecurringInvoiceLine.tenant_id == tenant_id,
            RecurringInvoiceLine.recurring_invoice_id.in_(schedule_ids),
        )
        .order_by(RecurringInvoiceLine.recurring_invoice_id, RecurringInvoiceLine.line_number)
    )
    grouped: dict[uuid.UUID, list[RecurringInvoiceLine]] = {sid: [] for sid in schedule_ids}
    for row in rows:
        grouped[row.recurring_invoice_id].append(row)
    return grouped


async def remove_lines(session: AsyncSession, tenant_id: uuid.UUID, schedule_id: uuid.UUID) -> None:
    await session.execute(
        delete(RecurringInvoiceLine).where(
            RecurringInvoiceLine.tenant_id == tenant_id,
            RecurringInvoiceLine.recurring_invoice_id == schedule_id,
        )
    )


async def list_page(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    page: PageParams,
    *,
    status: str | None,
    customer_id: uuid.UUID | None,
) -> tuple[Sequence[RecurringInvoice], PageMeta]:
    statement = select(RecurringInvoice).where(RecurringInvoice.tenant_id == tenant_id)
    if status is not None:
        statement = statement.where(RecurringInvoice.status == status)
    if customer_id is not None:
        statement = statement.where(RecurringInvoice.customer_id == customer_id)
    return await paginate(
        session,
        statement,
        page,
        created_at=RecurringInvoice.created_at,
        row_id=RecurringInvoice.id,
        sortable=SORTABLE,
    )


async def claim_due(session: AsyncSession, today: date) -> RecurringInvoice | None:
    """The earliest due active schedule of any tenant that no other run holds."""
    return await session.scalar(
        select(RecurringInvoice)
        .where(
            RecurringInvoice.status == ScheduleStatus.ACTIVE.value,
            RecurringInvoice.next_date <= today,
        )
        .order_by(RecurringInvoice.next_date, RecurringInvoice.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    )


async def invoice_for_period(
    session: AsyncSession, tenant_id: uuid.UUID, schedule_id: uuid.UUID, period: date
) -> Invoice | None:
    return await session.scalar(
        select(Invoice).where(
            Invoice.tenant_id == tenant_id,
            Invoice.recurring_invoice_id == schedule_id,
            Invoice.period_date == period,
        )
    )
