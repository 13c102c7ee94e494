"""The reminder scheduler: publishes `sales.task.reminder_due` once per task.

"Once" holds because the task's `reminder_sent_at` is set in the same transaction
that writes the event's outbox row; a crash before commit leaves both undone, and the
next run sends it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from millbook_contracts.sales import TaskReminderDue
from millbook_platform.app import PeriodicJob
from millbook_platform.db import scope_to_all_tenants, unit_of_work, utcnow
from millbook_platform.outbox import record_event
from millbook_sales.models import Task
from millbook_sales.tasks import repository

ACTOR = "system:task-reminders"
BATCH = 200
EVERY_S = 10.0


async def send_due_reminders(
    sessions: async_sessionmaker[AsyncSession], *, source: str, now: datetime | None = None
) -> int:
    """Publish every due reminder (in batches); returns how many were sent."""
    sent = 0
    while True:
        batch = await _send_batch(sessions, source=source, now=now or utcnow())
        sent += batch
        if batch < BATCH:
            return sent


async def _send_batch(
    sessions: async_sessionmaker[AsyncSession], *, source: str, now: datetime
) -> int:
    async with unit_of_work(sessions) as session:
        await scope_to_all_tenants(session)  # a system job: every tenant's due tasks
        tasks = await repository.due_reminders(session, now, BATCH)
        for task in tasks:
            task.reminder_sent_at = now
            record_event(
                session, reminder_due(task), tenant_id=task.tenant_id, source=source, actor=ACTOR
            )
        return len(tasks)


def reminder_due(task: Task) -> TaskReminderDue:
    assert task.remind_at is not None
    return TaskReminderDue(
        task_id=task.id,
        title=task.title,
        due_at=task.due_at,
        remind_at=task.remind_at,
        priority=task.priority,
        status=task.status,
        assigned_to=task.assigned_to,
        related_type=task.related_type,
        related_id=task.related_id,
    )


def reminder_job(source: str) -> PeriodicJob:
    """The scheduler as a platform job, run beside the HTTP app every EVERY_S seconds."""

    async def run(sessions: async_sessionmaker[AsyncSession]) -> int:
        return await send_due_reminders(sessions, source=source)

    return PeriodicJob(name="task-reminders", every_s=EVERY_S, run=run)
