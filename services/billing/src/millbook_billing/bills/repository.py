"""Every query on supplier bills and their lines."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from millbook_billing.bills.domain import PAYABLE, BillStatus
from millbook_billing.models import Bill, BillLine
from millbook_billing.purchase_orders import repository as purchase_orders
from millbook_platform.pagination import PageMeta, PageParams, paginate

SORTABLE = {
    "bill_date": Bill.bill_date,
    "due_date": Bill.due_date,
    "total_amount": Bill.total_amount,
    "balance_amount": Bill.balance_amount,
    "internal_number": Bill.internal_number,
}
APPROVED = (BillStatus.OPEN, BillStatus.PARTIAL, BillStatus.PAID)


@dataclass(frozen=True)
class BillFilters:
    status: str | None = None
    supplier_id: uuid.UUID | None = None
    purchase_order_id: uuid.UUID | None = None
    date_from: date | None = None
    date_to: date | None = None
    overdue_on: date | None = None  # only bills payable and past due on this day


async def get(
    session: AsyncSession, tenant_id: uuid.UUID, bill_id: uuid.UUID, *, lock: bool = False
) -> Bill | None:
    statement = select(Bill).where(Bill.tenant_id == tenant_id, Bill.id == bill_id)
    return await session.scalar(statement.with_for_update() if lock else statement)


async def get_for_change(
    session: AsyncSession, tenant_id: uuid.UUID, bill_id: uuid.UUID
) -> Bill | None:
    """The bill locked for a change that re-matches it: its order's lock first, then its row.

    Consumers of purchasing's events take the same order lock, so the two never cross.
    """
    bill = await get(session, tenant_id, bill_id)
    if bill is None:
        return None
    if bill.purchase_order_id is not None:
        await purchase_orders.lock_order(session, bill.purchase_order_id)
    await session.refresh(bill, with_for_update=True)
    return bill


async def lines_of(
    session: AsyncSession, tenant_id: uuid.UUID, bill_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[BillLine]]:
    rows = await session.scalars(
        select(BillLine)
        .where(BillLine.tenant_id == tenant_id, BillLine.bill_id.in_(bill_ids))
        .order_by(BillLine.bill_id, BillLine.line_number)
    )
    grouped: dict[uuid.UUID, list[BillLine]] = {bill_id: [] for bill_id in bill_ids}
    for row in rows:
        grouped[row.bill_id].append(row)
    return grouped


async def delete_lines(session: AsyncSession, tenant_id: uuid.UUID, bill_id: uuid.UUID) -> None:
    await session.execute(
        delete(BillLine).where(BillLine.tenant_id == tenant_id, BillLine.bill_id == bill_id)
    )


async def with_supplier_number(
    session: AsyncSession, tenant_id: uuid.UUID, supplier_id: uuid.UUID, bill_number: str
) -> Bill | None:
    """The live (not voided) bill carrying this supplier's invoice number."""
    return await session.scalar(
        select(Bill).where(
            Bill.tenant_id == tenant_id,
            Bill.supplier_id == supplier_id,
            func.lower(Bill.bill_number) == bill_number.lower(),
            Bill.status != BillStatus.VOIDED,
        )
    )


async def of_purchase_order(
    session: AsyncSession, tenant_id: uuid.UUID, purchase_order_id: uuid.UUID
) -> list[Bill]:
    """The order's bills that are not voided, in the order they were approved (drafts last)."""
    rows = await session.scalars(
        select(Bill)
        .where(
            Bill.tenant_id == tenant_id,
            Bill.purchase_order_id == purchase_order_id,
            Bill.status != BillStatus.VOIDED,
        )
        .order_by(Bill.approved_at.asc().nulls_last(), Bill.created_at, Bill.id)
    )
    return list(rows)


async def billed_before(
    session: AsyncSession, tenant_id: uuid.UUID, bill: Bill
) -> dict[int, Decimal]:
    """Quantity per PO line billed by the order's bills approved before `bill`.

    For a draft, every approved bill of the order counts.
    """
    assert bill.purchase_order_id is not None
    statement = (
        select(BillLine.po_line_number, func.sum(BillLine.quantity))
        .join(Bill, Bill.id == BillLine.bill_id)
        .where(
            Bill.tenant_id == tenant_id,
            Bill.purchase_order_id == bill.purchase_order_id,
            Bill.status.in_(APPROVED),
            Bill.id != bill.id,
            BillLine.po_line_number.is_not(None),
        )
        .group_by(BillLine.po_line_number)
    )
    if bill.approved_at is not None:
        statement = statement.where(Bill.approved_at < bill.approved_at)
    rows = await session.execute(statement)
    return {number: Decimal(total) for number, total in rows.all() if number is not None}


async def list_page(
    session: AsyncSession, tenant_id: uuid.UUID, filters: BillFilters, page: PageParams
) -> tuple[Sequence[Bill], PageMeta]:
    statement = select(Bill).where(Bill.tenant_id == tenant_id)
    if filters.status is not None:
        statement = statement.where(Bill.status == filters.status)
    if filters.supplier_id is not None:
        statement = statement.where(Bill.supplier_id == filters.supplier_id)
    if filters.purchase_order_id is not None:
        statement = statement.where(Bill.purchase_order_id == filters.purchase_order_id)
    if filters.date_from is not None:
        statement = statement.where(Bill.bill_date >= filters.date_from)
    if filters.date_to is not None:
        statement = statement.where(Bill.bill_date <= filters.date_to)
    if filters.overdue_on is not None:
        statement = statement.where(
            Bill.status.in_(tuple(PAYABLE)), Bill.due_date < filters.overdue_on
        )
    return await paginate(
        session, statement, page, created_at=Bill.created_at, row_id=Bill.id, sortable=SORTABLE
    )
