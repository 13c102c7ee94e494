"""Task use cases; every change is published on `sales.task`."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from millbook_platform.db import utcnow
from millbook_platform.errors import NotFound, ValidationFailed, field_error
from millbook_platform.outbox import record_event
from millbook_platform.pagination import PageMeta, PageParams
from millbook_sales.customers.domain import changed_fields
from millbook_sales.models import Task
from millbook_sales.tasks import domain, events, repository
from millbook_sales.tasks.repository import TaskFilters
from millbook_sales.tasks.schemas import REQUIRED_FIELDS, RelatedTo, TaskCreate, TaskUpdate
from millbook_sales.users.service import require_assignee

# What a client sees change; `related_to` is kept as its two columns.
TRACKED = (
    "title",
    "description",
    "due_at",
    "remind_at",
    "priority",
    "status",
    "assigned_to",
    "related_type",
    "related_id",
)


async def get_task(
    session: AsyncSession, tenant_id: uuid.UUID, task_id: uuid.UUID, *, lock: bool = False
) -> Task:
    task = await repository.get(session, tenant_id, task_id, lock=lock)
    if task is None:
        raise NotFound("No task with this id.", details=[field_error("task_id", str(task_id))])
    return task


async def list_tasks(
    session: AsyncSession, tenant_id: uuid.UUID, filters: TaskFilters, page: PageParams
) -> tuple[Sequence[Task], PageMeta]:
    return await repository.list_page(session, tenant_id, filters, page)


async def create_task(
    session: AsyncSession, tenant_id: uuid.UUID, body: TaskCreate, *, source: str
) -> Task:
    values = body.model_dump(exclude={"related_to"})
    if body.assigned_to is not None:
        await require_assignee(session, tenant_id, body.assigned_to)
    task = Task(id=uuid.uuid4(), tenant_id=tenant_id, **values)
    await _relate(session, task, body.related_to)
    session.add(task)
    await session.flush()
    record_event(session, events.task_created(task), tenant_id=tenant_id, source=source)
    return task


async def update_task(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    task_id: uuid.UUID,
    body: TaskUpdate,
    *,
    source: str,
) -> Task:
    values: dict[str, Any] = body.model_dump(exclude_unset=True, exclude={"related_to"})
    nulls = sorted(name for name in REQUIRED_FIELDS if name in values and values[name] is None)
    if nulls:
        raise ValidationFailed(
            "These fields cannot be null.",
            details=[field_error(n, "may not be null") for n in nulls],
        )
    task = await get_task(session, tenant_id, task_id, lock=True)
    if values.get("assigned_to") not in (None, task.assigned_to):
        await require_assignee(session, tenant_id, values["assigned_to"])
    before = _snapshot(task)
    if "remind_at" in values and values["remind_at"] != task.remind_at:
        task.reminder_sent_at = None  # a new reminder time is a new reminder
    for name, value in values.items():
        setattr(task, name, value)
    if "related_to" in body.model_fields_set:
        await _relate(session, task, body.related_to)
    await session.flush()
    _record_change(session, task, changed_fields(before, _snapshot(task)), source=source)
    return task


async def delete_task(
    session: AsyncSession, tenant_id: uuid.UUID, task_id: uuid.UUID, *, source: str
) -> None:
    task = await get_task(session, tenant_id, task_id, lock=True)
    event = events.task_deleted(task, utcnow())
    await session.delete(task)
    await session.flush()
    record_event(session, event, tenant_id=tenant_id, source=source)


def _record_change(session: AsyncSession, task: Task, changed: list[str], *, source: str) -> None:
    """`completed` when the task became done; `updated` for any other change."""
    if "status" in changed and task.status == domain.TaskStatus.DONE:
        record_event(session, events.task_completed(task), tenant_id=task.tenant_id, source=source)
        changed = [name for name in changed if name != "status"]
    if changed:
        event = events.task_updated(task, _public_names(changed))
        record_event(session, event, tenant_id=task.tenant_id, source=source)


def _public_names(changed: list[str]) -> list[str]:
    related = {"related_type", "related_id"}
    names = {"related_to" if name in related else name for name in changed}
    return sorted(names)


def _snapshot(task: Task) -> dict[str, Any]:
    return {name: getattr(task, name) for name in TRACKED}


async def _relate(session: AsyncSession, task: Task, related: RelatedTo | None) -> None:
    if related is not None and not await repository.related_exists(
        session, task.tenant_id, related.type, related.id
    ):
        raise NotFound(
            f"No {related.type.value} with this id.",
            details=[field_error("related_to.id", str(related.id))],
        )
    task.related_type = related.type.value if related else None
    task.related_id = related.id if related else None
