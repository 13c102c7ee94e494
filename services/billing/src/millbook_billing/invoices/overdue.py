"""The overdue scheduler: publishes `billing.invoice.overdue` once per invoice.

An invoice reads `overdue` the moment its due date passes (derived when read, see
`domain.reads_as`); this job only tells the other services. "Once" holds because
`overdue_at` is set in the same transaction that writes the outbox row, and the job
only picks rows without it; rows another run holds are skipped (SKIP LOCKED).
"""

from __future__ import annotations

from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from millbook_billing.invoices import events, repository
from millbook_billing.invoices.events import SOURCE
from millbook_platform.app import PeriodicJob
from millbook_platform.db import scope_to_all_tenants, unit_of_work, utcnow
from millbook_platform.outbox import record_event

ACTOR = "system:invoice-overdue"
BATCH = 200
EVERY_S = 60.0


async def flag_overdue_invoices(
    sessions: async_sessionmaker[AsyncSession], *, today: date | None = None
) -> int:
    """Announce every invoice past due not yet announced (in batches); returns how many."""
    flagged = 0
    while True:
        batch = await _flag_batch(sessions, today or utcnow().date())
        flagged += batch
        if batch < BATCH:
            return flagged


async def _flag_batch(sessions: async_sessionmaker[AsyncSession], today: date) -> int:
    async with unit_of_work(sessions) as session:
        await scope_to_all_tenants(session)  # a system job: every tenant's invoices
        invoices = await repository.overdue_unannounced(session, today, BATCH)
        now = utcnow()
        for invoice in invoices:
            invoice.overdue_at = now
            record_event(
                session,
                events.invoice_overdue(invoice, now, today),
                tenant_id=invoice.tenant_id,
                source=SOURCE,
                actor=ACTOR,
            )
        return len(invoices)


def overdue_job() -> PeriodicJob:
    async def run(sessions: async_sessionmaker[AsyncSession]) -> int:
        return await flag_overdue_invoices(sessions)

    return PeriodicJob(name="invoice-overdue", every_s=EVERY_S, run=run)
