"""Quotation use cases: drafts, sending (numbered then), acceptance, rejection, duplication."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError as PydanticValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from millbook_platform import money, pdf_rendering
from millbook_platform.db import utcnow
from millbook_platform.errors import (
    InvalidTransition,
    NotFound,
    ValidationFailed,
    field_error,
    validation_details,
)
from millbook_platform.money import LinePrice
from millbook_platform.numbering import document_number, next_number
from millbook_platform.outbox import record_event
from millbook_platform.pagination import PageMeta, PageParams
from millbook_sales.customers import repository as customers_repository
from millbook_sales.customers.domain import changed_fields
from millbook_sales.customers.service import get_customer
from millbook_sales.models import Customer, DocumentCounter, Quotation, QuotationLine
from millbook_sales.quotations import document, domain, events, repository
from millbook_sales.quotations.domain import QuotationStatus
from millbook_sales.quotations.repository import QuotationFilters
from millbook_sales.quotations.schemas import (
    REQUIRED_FIELDS,
    LineItemIn,
    QuotationCreate,
    QuotationUpdate,
)
from millbook_sales.tenants import repository as tenants_repository
from millbook_sales.tenants.service import currency_for

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
        currency_code=await _currency(session, tenant_id, body, customer),
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
    *,
    source: str,
) -> QuotationWithLines:
    """PUT: every field takes the body's value (or its default), the lines are replaced."""
    current = await _editable(session, tenant_id, quotation_id)
    return await _edit(session, current, body, source=source)


async def update_draft(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    quotation_id: uuid.UUID,
    body: QuotationUpdate,
    *,
    source: str,
) -> QuotationWithLines:
    """PATCH: the fields sent change; `line_items`, when sent, replaces every line."""
    values = body.model_dump(exclude_unset=True)
    nulls = sorted(name for name in REQUIRED_FIELDS if name in values and values[name] is None)
    if nulls:
        raise ValidationFailed(
            "These fields cannot be null.",
            details=[field_error(n, "may not be null") for n in nulls],
        )
    current = await _editable(session, tenant_id, quotation_id)
    merged = {**_as_body(current), **values}
    if "currency_code" not in values and "customer_id" in values:
        merged["currency_code"] = None  # a new customer brings its own currency
    try:
        replacement = QuotationCreate.model_validate(merged)
    except PydanticValidationError as exc:
        raise ValidationFailed(
            "The quotation is not valid after this change.",
            details=validation_details(exc.errors()),
        ) from exc
    return await _edit(session, current, replacement, source=source)


async def delete_draft(
    session: AsyncSession, tenant_id: uuid.UUID, quotation_id: uuid.UUID, *, source: str
) -> None:
    """Delete a draft (never numbered, so no gap); any other status is 409."""
    current = await _editable(session, tenant_id, quotation_id, action="deleted")
    event = events.quotation_deleted(current.quotation, utcnow())
    await repository.remove(session, tenant_id, quotation_id)
    record_event(session, event, tenant_id=tenant_id, source=source)


async def _editable(
    session: AsyncSession, tenant_id: uuid.UUID, quotation_id: uuid.UUID, *, action: str = "edited"
) -> QuotationWithLines:
    current = await get_quotation(session, tenant_id, quotation_id, lock=True)
    status = current.quotation.status
    if not domain.is_editable(status):
        raise InvalidTransition(
            f"Only drafts can be {action}; this quotation is {status}.",
            details=[field_error("status", status)],
        )
    return current


async def _edit(
    session: AsyncSession, current: QuotationWithLines, body: QuotationCreate, *, source: str
) -> QuotationWithLines:
    quotation = current.quotation
    tenant_id = quotation.tenant_id
    before = _as_body(current)
    customer = await get_customer(session, tenant_id, body.customer_id)
    for name, value in body.model_dump(exclude={"line_items", "currency_code"}).items():
        setattr(quotation, name, value)
    quotation.currency_code = await _currency(session, tenant_id, body, customer)
    await repository.remove_lines(session, tenant_id, quotation.id)
    lines = _price(quotation, body.line_items)
    await _save(session, quotation, lines)
    edited = QuotationWithLines(quotation, lines)
    changed = changed_fields(before, _as_body(edited))
    if changed:
        event = events.quotation_updated(quotation, lines, changed)
        record_event(session, event, tenant_id=tenant_id, source=source)
    return edited


def _as_body(current: QuotationWithLines) -> dict[str, Any]:
    """The quotation as the body that would create it: what PUT and PATCH compare and merge."""
    quotation = current.quotation
    values = {
        name: getattr(quotation, name)
        for name in QuotationCreate.model_fields
        if name != "line_items"
    }
    values["line_items"] = [
        LineItemIn.model_validate(line, from_attributes=True).model_dump() for line in current.lines
    ]
    return values


async def _currency(
    session: AsyncSession, tenant_id: uuid.UUID, body: QuotationCreate, customer: Customer
) -> str:
    """The body's currency, else the customer's; either must be one the tenant accepts."""
    return await currency_for(
        session, tenant_id, body.currency_code, default=customer.currency_code
    )


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
    now = utcnow()
    valid_until = current.quotation.valid_until
    if domain.has_lapsed(valid_until, now.date()):
        raise InvalidTransition(
            f"This quotation lapsed on {valid_until}; duplicate it and send the copy instead.",
            details=[field_error("valid_until", f"{valid_until} is past")],
        )
    current.quotation.accepted_at = now
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


async def quotation_pdf(
    session: AsyncSession, tenant_id: uuid.UUID, quotation_id: uuid.UUID
) -> tuple[str, bytes]:
    """The quotation as a PDF and its file name (`QUO-2026-0001.pdf`)."""
    current = await get_quotation(session, tenant_id, quotation_id)
    quotation = current.quotation
    # A customer deleted since still appears on the quotations it received.
    customer = await customers_repository.get(
        session, tenant_id, quotation.customer_id, include_deleted=True
    )
    assert customer is not None, "quotations refer to their customer by foreign key"
    organization = await tenants_repository.get(session, tenant_id)
    seller = organization.name if organization else None
    printable = document.quotation_document(quotation, current.lines, customer, seller)
    pdf = await pdf_rendering.render(printable)  # in a worker process, with a deadline
    return document.pdf_filename(quotation), pdf


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
