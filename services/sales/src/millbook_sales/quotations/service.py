"""Quotation use cases: drafts, sending (numbered then), acceptance, rejection, duplication."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from millbook_platform import money
from millbook_platform.db import utcnow
from millbook_platform.errors import InvalidTransition, NotFound, field_error
from millbook_platform.money import LinePrice
from millbook_platform.numbering import document_number, next_number
from millbook_platform.outbox import record_event
from millbook_platform.pagination import PageMeta, PageParams
from millbook_sales.customers.service import get_customer
from millbook_sales.models import DocumentCounter, Quotation, QuotationLine
from millbook_sales.quotations import domain, events, repository
from millbook_sales.quotations.domain import QuotationStatus
from millbook_sales.quotations.repository import QuotationFilters
from millbook_sales.quotations.schemas import LineItemIn, QuotationCreate

NUMBER_PREFIX = "QUO"
NUMBER_SERIES = "quotation"


@dataclass(frozen=True)
class QuotationWithLines:
    quotation: Quotation
    lines: list[QuotationLine]


async def get_quotation(
    session: AsyncSession, tenant_id: uuid.UUID, quotation_id: uuid.UUID, *, lock: bool = False
) -> QuotationWithLines:
    quotation = await repository.get(session, tenant_id, quotation_id, lock=lock)
    if quotation is None:
        raise NotFound(
            "No quotation with this id.", details=[field_error("quotation_id", str(quotation_id))]
        )
    lines = await repository.lines_of(session, tenant_id, [quotation.id])
    return QuotationWithLines(quotation, lines[quotation.id])


async def list_quotations(
    session: AsyncSession, tenant_id: uuid.UUID, filters: QuotationFilters, page: PageParams
) -> tuple[list[QuotationWithLines], PageMeta]:
    rows, meta = await repository.list_page(session, tenant_id, filters, page)
    lines = await repository.lines_of(session, tenant_id, [row.id for row in rows])
    return [QuotationWithLines(row, lines[row.id]) for row in rows], meta


async def create_quotation(
    session: AsyncSession, tenant_id: uuid.UUID, body: QuotationCreate, *, source: str
) -> QuotationWithLines:
    customer = await get_customer(session, tenant_id, body.customer_id)
    quotation = Quotation(
        id=uuid.uuid4(),
        tenant_id=tenant_id,
        status=QuotationStatus.DRAFT.value,
        **body.model_dump(exclude={"line_items", "currency_code"}),
        currency_code=body.currency_code or customer.currency_code,
    )
    lines = _price(quotation, body.line_items)
    await _save(session, quotation, lines)
    record_event(session, events.quotation_created(quotation), tenant_id=tenant_id, source=source)
    return QuotationWithLines(quotation, lines)


async def replace_draft(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    quotation_id: uuid.UUID,
    body: QuotationCreate,
) -> QuotationWithLines:
    current = await get_quotation(session, tenant_id, quotation_id, lock=True)
    quotation = current.quotation
    if not domain.is_editable(quotation.status):
        raise InvalidTransition(
            f"Only drafts can be edited; this quotation is {quotation.status}.",
            details=[field_error("status", quotation.status)],
        )
    customer = await get_customer(session, tenant_id, body.customer_id)
    for name, value in body.model_dump(exclude={"line_items", "currency_code"}).items():
        setattr(quotation, name, value)
    quotation.currency_code = body.currency_code or customer.currency_code
    await repository.remove_lines(session, tenant_id, quotation.id)
    lines = _price(quotation, body.line_items)
    await _save(session, quotation, lines)
    return QuotationWithLines(quotation, lines)


async def send_quotation(
    session: AsyncSession, tenant_id: uuid.UUID, quotation_id: uuid.UUID, *, source: str
) -> QuotationWithLines:
    current = await _step(session, tenant_id, quotation_id, "send")
    quotation = current.quotation
    now = utcnow()
    if quotation.quote_number is None:  # numbered at first send, gap-free per year
        number = await next_number(session, DocumentCounter, tenant_id, NUMBER_SERIES, now.year)
        quotation.quote_number = document_number(NUMBER_PREFIX, now.year, number)
    quotation.sent_at = now
    await session.flush()
    customer = await get_customer(session, tenant_id, quotation.customer_id)
    event = events.quotation_sent(quotation, customer, current.lines)
    record_event(session, event, tenant_id=tenant_id, source=source)
    return current


async def accept_quotation(
    session: AsyncSession, tenant_id: uuid.UUID, quotation_id: uuid.UUID, *, source: str
) -> QuotationWithLines:
    current = await _step(session, tenant_id, quotation_id, "accept")
    current.quotation.accepted_at = utcnow()
    await session.flush()
    event = events.quotation_accepted(current.quotation, current.lines)
    record_event(session, event, tenant_id=tenant_id, source=source)
    return current


async def reject_quotation(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    quotation_id: uuid.UUID,
    reason: str | None,
    *,
    source: str,
) -> QuotationWithLines:
    current = await _step(session, tenant_id, quotation_id, "reject")
    current.quotation.rejected_at = utcnow()
    current.quotation.rejection_reason = reason
    await session.flush()
    event = events.quotation_rejected(current.quotation)
    record_event(session, event, tenant_id=tenant_id, source=source)
    return current


async def duplicate_quotation(
    session: AsyncSession, tenant_id: uuid.UUID, quotation_id: uuid.UUID, *, source: str
) -> QuotationWithLines:
    """A new draft with the same customer, terms and lines, dated today, not yet numbered."""
    original = await get_quotation(session, tenant_id, quotation_id)
    source_row = original.quotation
    copy = Quotation(
        id=uuid.uuid4(),
        tenant_id=tenant_id,
        status=QuotationStatus.DRAFT.value,
        customer_id=source_row.customer_id,
        currency_code=source_row.currency_code,
        quotation_date=utcnow().date(),
        valid_until=None,
        terms=source_row.terms,
        notes=source_row.notes,
        payment_terms=source_row.payment_terms,
        lead_time_days=source_row.lead_time_days,
        duplicated_from=source_row.id,
    )
    items = [LineItemIn.model_validate(line, from_attributes=True) for line in original.lines]
    lines = _price(copy, items)
    await _save(session, copy, lines)
    record_event(session, events.quotation_created(copy), tenant_id=tenant_id, source=source)
    return QuotationWithLines(copy, lines)


async def _step(
    session: AsyncSession, tenant_id: uuid.UUID, quotation_id: uuid.UUID, action: str
) -> QuotationWithLines:
    current = await get_quotation(session, tenant_id, quotation_id, lock=True)
    try:
        current.quotation.status = domain.next_status(current.quotation.status, action).value
    except domain.IllegalStep as exc:
        raise InvalidTransition(
            f"Cannot {action} a quotation that is {current.quotation.status}.",
            details=[field_error("status", current.quotation.status)],
        ) from exc
    return current


async def _save(session: AsyncSession, quotation: Quotation, lines: list[QuotationLine]) -> None:
    session.add(quotation)
    await session.flush()  # the quotation row first: its lines refer to it
    session.add_all(lines)
    await session.flush()


def _price(quotation: Quotation, items: Sequence[LineItemIn]) -> list[QuotationLine]:
    """Lines with their rounded amounts, and the quotation's totals as their sums."""
    currency = quotation.currency_code
    lines = []
    for number, item in enumerate(items, start=1):
        amounts = money.line_amounts(_price_of(item), currency)
        line = QuotationLine(
            id=uuid.uuid4(),
            tenant_id=quotation.tenant_id,
            quotation_id=quotation.id,
            line_number=number,
            **item.model_dump(),
            **vars(amounts),
        )
        lines.append(line)
    total = money.document_amounts([_price_of(item) for item in items], currency)
    for name, value in vars(total).items():
        setattr(quotation, name, value)
    return lines


def _price_of(item: LineItemIn) -> LinePrice:
    return LinePrice(item.quantity, item.unit_price, item.discount_percent, item.tax_rate)
