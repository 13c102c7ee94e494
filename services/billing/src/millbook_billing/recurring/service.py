"""Recurring schedule use cases: keep the template; the generator lives in `generator.py`."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from millbook_billing.customers.service import customer_of
from millbook_billing.invoices import accounting
from millbook_billing.invoices.schemas import InvoiceLineIn
from millbook_billing.models import RecurringInvoice, RecurringInvoiceLine
from millbook_billing.recurring import domain, repository
from millbook_billing.recurring.domain import ScheduleStatus
from millbook_billing.recurring.schemas import RecurringInvoiceCreate, RecurringInvoicePatch
from millbook_billing.settings.exchange_rates import documents as exchange_rates
from millbook_platform import money
from millbook_platform.errors import InvalidTransition, NotFound, ValidationFailed, field_error
from millbook_platform.money import LinePrice
from millbook_platform.pagination import PageMeta, PageParams


@dataclass(frozen=True)
class ScheduleWithLines:
    schedule: RecurringInvoice
    lines: list[RecurringInvoiceLine]


async def get_schedule(
    session: AsyncSession, tenant_id: uuid.UUID, schedule_id: uuid.UUID, *, lock: bool = False
) -> ScheduleWithLines:
    schedule = await repository.get(session, tenant_id, schedule_id, lock=lock)
    if schedule is None:
        raise NotFound(
            "No recurring invoice with this id.",
            details=[field_error("recurring_invoice_id", str(schedule_id))],
        )
    lines = await repository.lines_of(session, tenant_id, [schedule.id])
    return ScheduleWithLines(schedule, lines[schedule.id])


async def list_schedules(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    page: PageParams,
    *,
    status: str | None = None,
    customer_id: uuid.UUID | None = None,
) -> tuple[list[ScheduleWithLines], PageMeta]:
    rows, meta = await repository.list_page(
        session, tenant_id, page, status=status, customer_id=customer_id
    )
    lines = await repository.lines_of(session, tenant_id, [row.id for row in rows])
    return [ScheduleWithLines(row, lines[row.id]) for row in rows], meta


async def create_schedule(
    session: AsyncSession, tenant_id: uuid.UUID, body: RecurringInvoiceCreate
) -> ScheduleWithLines:
    customer = await customer_of(session, tenant_id, body.customer_id)
    currency = body.currency_code or customer.currency_code
    base = await accounting.base_currency(session, tenant_id)
    schedule = RecurringInvoice(
        id=uuid.uuid4(),
        tenant_id=tenant_id,
        customer_id=customer.id,
        currency_code=currency,
        # None: each period's invoice takes the tenant's rate when it is issued.
        exchange_rate=exchange_rates.stated_rate(currency, body.exchange_rate, base),
        payment_terms=body.payment_terms,
        interval=body.interval.value,
        interval_count=body.interval_count,
        start_date=body.start_date,
        next_date=body.start_date,
        end_date=body.end_date,
        mode=body.mode,
        status=ScheduleStatus.ACTIVE.value,
        notes=body.notes,
        terms=body.terms,
        generated_count=0,
    )
    lines = _template(schedule, body.line_items)
    session.add(schedule)
    await session.flush()
    session.add_all(lines)
    await session.flush()
    return ScheduleWithLines(schedule, lines)


async def patch_schedule(
    session: AsyncSession, tenant_id: uuid.UUID, schedule_id: uuid.UUID, body: RecurringInvoicePatch
) -> ScheduleWithLines:
    current = await get_schedule(session, tenant_id, schedule_id, lock=True)
    schedule = current.schedule
    given = body.model_dump(exclude_unset=True, exclude={"line_items", "status"})
    if body.status is not None and body.status != schedule.status:
        if not domain.can_set_status(schedule.status, body.status):
            raise InvalidTransition(
                f"A {schedule.status} schedule cannot become {body.status}.",
                details=[field_error("status", schedule.status)],
            )
        schedule.status = body.status
    end = given.get("end_date")
    if end is not None and end < schedule.start_date:
        raise ValidationFailed(
            "The end date is before the start date.",
            details=[field_error("end_date", "must not be before start_date")],
        )
    if "exchange_rate" in given:
        base = await accounting.base_currency(session, tenant_id)
        given["exchange_rate"] = exchange_rates.stated_rate(
            schedule.currency_code, body.exchange_rate, base
        )
    for name, value in given.items():
        setattr(schedule, name, value)
    lines = current.lines
    if body.line_items is not None:
        await repository.remove_lines(session, tenant_id, schedule.id)
        lines = _template(schedule, body.line_items)
        session.add_all(lines)
    await session.flush()
    return ScheduleWithLines(schedule, lines)


async def delete_schedule(
    session: AsyncSession, tenant_id: uuid.UUID, schedule_id: uuid.UUID
) -> None:
    """Stop and forget a schedule; the invoices it already made stay."""
    current = await get_schedule(session, tenant_id, schedule_id, lock=True)
    await session.delete(current.schedule)
    await session.flush()


def template_items(lines: Sequence[RecurringInvoiceLine]) -> list[InvoiceLineIn]:
    return [
        InvoiceLineIn(
            description=line.description,
            quantity=line.quantity.normalize(),
            unit_price=line.unit_price.normalize(),
            discount_percent=line.discount_percent.normalize(),
            tax_rate=line.tax_rate.normalize(),
        )
        for line in lines
    ]


def _template(
    schedule: RecurringInvoice, items: Sequence[InvoiceLineIn]
) -> list[RecurringInvoiceLine]:
    currency = schedule.currency_code
    prices = [LinePrice(i.quantity, i.unit_price, i.discount_percent, i.tax_rate) for i in items]
    for name, value in vars(money.document_amounts(prices, currency)).items():
        setattr(schedule, name, value)
    return [
        RecurringInvoiceLine(
            id=uuid.uuid4(),
            tenant_id=schedule.tenant_id,
            recurring_invoice_id=schedule.id,
            line_number=number,
            **item.model_dump(),
            **vars(money.line_amounts(price, currency)),
        )
        for number, (item, price) in enumerate(zip(items, prices, strict=True), start=1)
    ]
