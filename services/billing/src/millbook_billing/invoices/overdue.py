"""The overdue scheduler: flips issued invoices past their due date to `overdue`, once.

"Once" holds because the status changes in the same transaction that writes the
`billing.invoice.overdue` outbox row, and the job only picks `sent`/`partial` rows;
rows another run holds are skipped (SKIP LOCKED), never waited on.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from millbook_billing.invoices import domain, events, repository
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
    """Flag every invoice past due (in batches); returns how many were flagged."""
    flagged = 0
    while True:
        batch = await _flag_batch(sessions, today or utcnow().date())
        flagged += batch
        if batch < BATCH:
            return flagged


async def _flag_batch(sessions: async_sessionmaker[AsyncSession], today: date) -> int:
    async with unit_of_work(sessions) as session:
        await scope_to_all_tenants(session)  # a system job: every tenant's invoices
        invoices = await repository.past_due(session, today, BATCH)
        now = utcnow()
        for invoice in invoices:
            invoice.status = domain.mark_overdue(invoice.status, invoice.due_date, today).value
            invoice.overdue_at = now
            record_event(
                session,
                events.invoice_overdue(invoice, now),
                tenant_id=invoice.tenant_id,
                source=SOURCE,
                actor=ACTOR,
            )
        return len(invoices)


def overdue_job() -> PeriodicJob:
    async def run(sessions: async_sessionmaker[AsyncSession]) -> int:
        return await flag_overdue_invoices(sessions)

    return PeriodicJob(name="invoice-overdue", every_s=EVERY_S, run=run)
