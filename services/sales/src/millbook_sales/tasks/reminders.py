"""The reminder scheduler: publishes `sales.task.reminder_due` once per task.

"Once" holds because the task's `reminder_sent_at` is set in the same transaction
that writes the event's outbox row; a crash before commit leaves both undone, and the
next run sends it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from millbook_contracts.sales import TaskReminderDue
from millbook_platform.db import scope_to_all_tenants, unit_of_work, utcnow
from millbook_platform.outbox import record_event
from millbook_sales.models import Task
from millbook_sales.tasks import repository

log = logging.getLogger("millbook.sales.reminders")

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


async def run_forever(sessions: async_sessionmaker[AsyncSession], *, source: str) -> None:
    while True:
        try:
            await send_due_reminders(sessions, source=source)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("sending task reminders failed; retrying in %.0fs", EVERY_S)
        await asyncio.sleep(EVERY_S)


@asynccontextmanager
async def reminder_job(app: FastAPI) -> AsyncIterator[None]:
    """Runs the scheduler beside the HTTP app when the process runs background work.

    The platform's ServiceSpec has no slot for periodic jobs, so this rides on a
    router lifespan, which FastAPI nests inside the app's own.
    """
    runtime = app.state.runtime
    task = None
    if runtime.settings.run_background:
        job = run_forever(runtime.sessions, source=runtime.settings.source)
        task = asyncio.create_task(job, name="task-reminders")
    try:
        yield
    finally:
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
