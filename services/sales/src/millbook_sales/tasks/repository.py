"""Every query on tasks, and the reminder scheduler's look across tenants."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from millbook_platform.pagination import PageMeta, PageParams, paginate
from millbook_sales.models import Customer, Lead, Opportunity, Order, Quotation, Task
from millbook_sales.tasks.domain import REMINDING_STATUSES, RelatedType

SORTABLE = {"due_at": Task.due_at, "priority": Task.priority, "title": Task.title}

_RELATED: dict[RelatedType, Any] = {
    RelatedType.CUSTOMER: Customer,
    RelatedType.LEAD: Lead,
    RelatedType.OPPORTUNITY: Opportunity,
    RelatedType.QUOTATION: Quotation,
    RelatedType.ORDER: Order,
}


@dataclass(frozen=True)
class TaskFilters:
    status: str | None = None
    priority: str | None = None
    assigned_to: uuid.UUID | None = None
    due_from: datetime | None = None
    due_to: datetime | None = None
    related_type: str | None = None
    related_id: uuid.UUID | None = None


async def get(
    session: AsyncSession, tenant_id: uuid.UUID, task_id: uuid.UUID, *, lock: bool = False
) -> Task | None:
    """The task; `lock` holds it until the transaction ends, so a change reads what the
    change before it wrote (and a deleted task is then None)."""
    statement = select(Task).where(Task.tenant_id == tenant_id, Task.id == task_id)
    if lock:
        statement = statement.with_for_update().execution_options(populate_existing=True)
    return await session.scalar(statement)


async def related_exists(
    session: AsyncSession, tenant_id: uuid.UUID, kind: RelatedType, row_id: uuid.UUID
) -> bool:
    model = _RELATED[kind]
    statement = select(model.id).where(model.tenant_id == tenant_id, model.id == row_id)
    deleted_at = getattr(model, "deleted_at", None)
    if deleted_at is not None:  # a deleted customer or opportunity takes no new tasks
        statement = statement.where(deleted_at.is_(None))
    return await session.scalar(statement) is not None


async def list_page(
    session: AsyncSession, tenant_id: uuid.UUID, filters: TaskFilters, page: PageParams
) -> tuple[Sequence[Task], PageMeta]:
    statement = _filtered(select(Task).where(Task.tenant_id == tenant_id), filters)
    return await paginate(
        session, statement, page, created_at=Task.created_at, row_id=Task.id, sortable=SORTABLE
    )


async def due_reminders(session: AsyncSession, now: datetime, limit: int) -> Sequence[Task]:
    """Tasks of any tenant whose reminder is due and unsent, locked for this transaction.

    SKIP LOCKED lets two schedulers run side by side without sending a reminder twice.
    """
    statement = (
        select(Task)
        .where(
            Task.reminder_sent_at.is_(None),
            Task.remind_at.is_not(None),
            Task.remind_at <= now,
            Task.status.in_(REMINDING_STATUSES),
        )
        .order_by(Task.remind_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return (await session.scalars(statement)).all()


def _filtered(statement: Select[Any], filters: TaskFilters) -> Select[Any]:
    equal = {
        Task.status: filters.status,
        Task.priority: filters.priority,
        Task.assigned_to: filters.assigned_to,
        Task.related_type: filters.related_type,
        Task.related_id: filters.related_id,
    }
    for column, value in equal.items():
        if value is not None:
            statement = statement.where(column == value)
    if filters.due_from is not None:
        statement = statement.where(Task.due_at >= filters.due_from)
    if filters.due_to is not None:
        statement = statement.where(Task.due_at <= filters.due_to)
    return statement
