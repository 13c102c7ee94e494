"""The recurring invoice generator: each due period becomes one invoice, exactly once.

One period per transaction: the schedule row is locked (SKIP LOCKED, so two runs share
the work instead of doubling it), its invoice is created, and `next_date` advances in
the same commit. A crash before the commit leaves both undone and the next run makes
that period again; a unique (schedule, period) on invoices is the last wall. Missed
periods are caught up one after the other.
"""

from __future__ import annotations

import logging
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from millbook_billing.customers.repository import get_customer
from millbook_billing.invoices import service as invoices
from millbook_billing.invoices.domain import due_date_for
from millbook_billing.invoices.events import SOURCE
from millbook_billing.invoices.service import DraftFacts
from millbook_billing.models import Invoice, RecurringInvoice
from millbook_billing.recurring import domain, repository
from millbook_billing.recurring.domain import ScheduleStatus
from millbook_billing.recurring.service import template_items
from millbook_billing.settings.service import current_settings
from millbook_contracts.billing import RecurringInvoiceGenerated
from millbook_platform.app import PeriodicJob
from millbook_platform.db import scope_to_all_tenants, unit_of_work, utcnow
from millbook_platform.errors import AppError
from millbook_platform.money import round_money
from millbook_platform.outbox import record_event

log = logging.getLogger("millbook.billing.recurring")

ACTOR = "system:recurring-invoices"
EVERY_S = 300.0
MAX_PER_RUN = 1000


async def generate_due_invoices(
    sessions: async_sessionmaker[AsyncSession], *, today: date | None = None
) -> int:
    """Make every due period's invoice; returns how many periods were generated."""
    day = today or utcnow().date()
    generated = 0
    while generated < MAX_PER_RUN and await _generate_one(sessions, day):
        generated += 1
    return generated


async def _generate_one(sessions: async_sessionmaker[AsyncSession], today: date) -> bool:
    async with unit_of_work(sessions) as session:
        await scope_to_all_tenants(session)  # a system job: every tenant's schedules
        schedule = await repository.claim_due(session, today)
        if schedule is None:
            return False
        period = schedule.next_date
        invoice = await repository.invoice_for_period(
            session, schedule.tenant_id, schedule.id, period
        )
        if invoice is None:
            invoice = await _make_invoice(session, schedule, period)
            if invoice is None:  # the customer is gone: stop rather than retry forever
                schedule.status = ScheduleStatus.PAUSED.value
                return True
        _advance(schedule)
        await session.flush()
        record_event(
            session,
            _generated(schedule, invoice, period),
            tenant_id=schedule.tenant_id,
            source=SOURCE,
            actor=ACTOR,
        )
        return True


async def _make_invoice(
    session: AsyncSession, schedule: RecurringInvoice, period: date
) -> Invoice | None:
    tenant_id = schedule.tenant_id
    customer = await get_customer(session, tenant_id, schedule.customer_id)
    if customer is None:
        log.warning("recurring invoice %s: customer %s is gone", schedule.id, schedule.customer_id)
        return None
    settings = await current_settings(session, tenant_id)
    terms = schedule.payment_terms or customer.payment_terms or settings.default_payment_terms
    facts = DraftFacts(
        customer_id=customer.id,
        customer_name=customer.name,
        customer_email=customer.primary_email,
        billing_address=customer.billing_address,
        invoice_date=period,
        due_date=due_date_for(period, terms),
        payment_terms=terms,
        currency_code=schedule.currency_code,
        exchange_rate=schedule.exchange_rate,
        notes=schedule.notes,
        terms=schedule.terms,
        origin="recurring",
        recurring_invoice_id=schedule.id,
        period_date=period,
    )
    lines = await repository.lines_of(session, tenant_id, [schedule.id])
    items = template_items(lines[schedule.id])
    created = await invoices.create_draft(session, tenant_id, facts, items, actor=ACTOR)
    if schedule.mode == "issued":
        await _issue(session, created.invoice)
    return created.invoice


async def _issue(session: AsyncSession, invoice: Invoice) -> None:
    """Issue it; if it cannot be issued (say, no rate any more), it stays a draft to fix."""
    try:
        async with session.begin_nested():
            await invoices.send_invoice(session, invoice.tenant_id, invoice.id, actor=ACTOR)
    except AppError as exc:
        log.warning("recurring invoice %s stays a draft: %s", invoice.id, exc.message)


def _advance(schedule: RecurringInvoice) -> None:
    schedule.generated_count += 1
    schedule.last_generated_at = utcnow()
    step = domain.after_period(
        start=schedule.start_date,
        interval=schedule.interval,
        count=schedule.interval_count,
        generated=schedule.generated_count,
        end_date=schedule.end_date,
    )
    schedule.next_date = step.next_date
    schedule.status = step.status.value


def _generated(
    schedule: RecurringInvoice, invoice: Invoice, period: date
) -> RecurringInvoiceGenerated:
    return RecurringInvoiceGenerated(
        recurring_invoice_id=schedule.id,
        invoice_id=invoice.id,
        invoice_number=invoice.invoice_number,
        customer_id=invoice.customer_id,
        period_date=period,
        next_date=schedule.next_date if schedule.status == ScheduleStatus.ACTIVE else None,
        mode=schedule.mode,
        currency_code=invoice.currency_code,
        total_amount=round_money(invoice.total_amount, invoice.currency_code),
        occurred_at=utcnow(),
    )


def recurring_job() -> PeriodicJob:
    async def run(sessions: async_sessionmaker[AsyncSession]) -> int:
        return await generate_due_invoices(sessions)

    return PeriodicJob(name="recurring-invoices", every_s=EVERY_S, run=run)
