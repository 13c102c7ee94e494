"""Every query on expenses; each names the tenant (row-level security is the second wall)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Select, delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from millbook_billing.models import Expense
from millbook_platform.pagination import PageMeta, PageParams, paginate

SORTABLE = {
    "expense_date": Expense.expense_date,
    "amount": Expense.amount,
    "category": Expense.category,
    "status": Expense.status,
    "vendor": Expense.vendor,
    "updated_at": Expense.updated_at,
}


@dataclass(frozen=True)
class ExpenseFilters:
    status: str | None = None
    category: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    is_billable: bool | None = None
    customer_id: uuid.UUID | None = None
    search: str | None = None


async def get(
    session: AsyncSession, tenant_id: uuid.UUID, expense_id: uuid.UUID, *, lock: bool = False
) -> Expense | None:
    statement = select(Expense).where(Expense.tenant_id == tenant_id, Expense.id == expense_id)
    return await session.scalar(statement.with_for_update() if lock else statement)


async def get_many_locked(
    session: AsyncSession, tenant_id: uuid.UUID, expense_ids: Sequence[uuid.UUID]
) -> Sequence[Expense]:
    """The expenses, locked in id order so two concurrent billings cannot deadlock."""
    statement = (
        select(Expense)
        .where(Expense.tenant_id == tenant_id, Expense.id.in_(expense_ids))
        .order_by(Expense.id)
        .with_for_update()
    )
    return (await session.scalars(statement)).all()


async def list_page(
    session: AsyncSession, tenant_id: uuid.UUID, filters: ExpenseFilters, page: PageParams
) -> tuple[Sequence[Expense], PageMeta]:
    statement = _filtered(select(Expense).where(Expense.tenant_id == tenant_id), filters)
    return await paginate(
        session,
        statement,
        page,
        created_at=Expense.created_at,
        row_id=Expense.id,
        sortable=SORTABLE,
    )


async def remove(session: AsyncSession, tenant_id: uuid.UUID, expense_id: uuid.UUID) -> None:
    await session.execute(
        delete(Expense).where(Expense.tenant_id == tenant_id, Expense.id == expense_id)
    )


def _filtered(statement: Select[Any], filters: ExpenseFilters) -> Select[Any]:
    if filters.status is not None:
        statement = statement.where(Expense.status == filters.status)
    if filters.category is not None:
        statement = statement.where(Expense.category == filters.category)
    if filters.date_from is not None:
        statement = statement.where(Expense.expense_date >= filters.date_from)
    if filters.date_to is not None:
        statement = statement.where(Expense.expense_date <= filters.date_to)
    if filters.is_billable is not None:
        statement = statement.where(Expense.is_billable.is_(filters.is_billable))
    if filters.customer_id is not None:
        statement = statement.where(Expense.customer_id == filters.customer_id)
    if filters.search and filters.search.strip():
        pattern = "%" + _escape_like(filters.search.strip()) + "%"
        statement = statement.where(
            or_(
                Expense.description.ilike(pattern, escape="\\"),
                Expense.vendor.ilike(pattern, escape="\\"),
                Expense.receipt_number.ilike(pattern, escape="\\"),
            )
        )
    return statement


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
