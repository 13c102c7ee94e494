"""The expiry job: sent quotations past their `valid_until` become expired, once.

Once, even with two instances running: each batch locks its rows with
`FOR UPDATE SKIP LOCKED` and re-reads their status in the same transaction that
writes the new status and the `sales.quotation.expired` outbox row.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from millbook_platform.app import PeriodicJob
from millbook_platform.db import scope_to_all_tenants, unit_of_work, utcnow
from millbook_platform.outbox import record_event
from millbook_sales.quotations import domain, events, repository

ACTOR = "system:quotation-expiry"
BATCH = 200
EVERY_S = 300.0


async def expire_overdue_quotations(
    sessions: async_sessionmaker[AsyncSession], *, source: str, now: datetime | None = None
) -> int:
    """Expire every sent quotation valid only until before today (UTC); returns how many."""
    at = now or utcnow()
    expired = 0
    while True:
        batch = await _expire_batch(sessions, source=source, at=at, today=at.date())
        expired += batch
        if batch < BATCH:
            return expired


async def _expire_batch(
    sessions: async_sessionmaker[AsyncSession], *, source: str, at: datetime, today: date
) -> int:
    async with unit_of_work(sessions) as session:
        await scope_to_all_tenants(session)  # a system job: every tenant's quotations
        quotations = await repository.overdue_sent(session, today, BATCH)
        for quotation in quotations:
            quotation.status = domain.next_status(quotation.status, "expire").value
            quotation.expired_at = at
        await session.flush()
        for quotation in quotations:
            record_event(
                session,
                events.quotation_expired(quotation),
                tenant_id=quotation.tenant_id,
                source=source,
                actor=ACTOR,
            )
        return len(quotations)


def expiry_job(source: str) -> PeriodicJob:
    """The expiry as a platform job, run beside the HTTP app every EVERY_S seconds."""

    async def run(sessions: async_sessionmaker[AsyncSession]) -> int:
        return await expire_overdue_quotations(sessions, source=source)

    return PeriodicJob(name="quotation-expiry", every_s=EVERY_S, run=run)
