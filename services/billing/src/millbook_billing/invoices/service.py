"""Invoice use cases: drafts, issuing (numbered and posted then), voiding, settlement."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from pydantic import ValidationError as PydanticValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from millbook_billing.customers.repository import get_customer
from millbook_billing.customers.service import customer_of
from millbook_billing.invoices import accounting, document, domain, events, repository
from millbook_billing.invoices.domain import InvoiceStatus
from millbook_billing.invoices.events import SOURCE
from millbook_billing.invoices.repository import InvoiceFilters
from millbook_billing.invoices.schemas import InvoiceCreate, InvoiceLineIn, InvoicePatch
from millbook_billing.ledger.service import ensure_chart
from millbook_billing.models import DocumentCounter, Invoice, InvoiceLine
from millbook_billing.settings.exchange_rates import documents as exchange_rates
from millbook_billing.settings.service import current_settings
from millbook_billing.tenants import service as tenants
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

NUMBER_PREFIX = "INV"
NUMBER_SERIES = "invoice"
ZERO = Decimal(0)
# Where a draft came from: fixed at creation, never edited.
_LINKS = frozenset({"origin", "order_id", "quotation_id", "recurring_invoice_id", "period_date"})


@dataclass(frozen=True)
class InvoiceWithLines:
    invoice: Invoice
    lines: list[InvoiceLine]


@dataclass(frozen=True)
class DraftFacts:
    """What a new draft needs besides its lines, once defaults are resolved."""

    customer_id: uuid.UUID
    customer_name: str
    customer_email: str | None
    billing_address: dict[str, Any] | None
    invoice_date: date
    due_date: date
    payment_terms: str | None
    currency_code: str
    exchange_rate: Decimal | None
    notes: str | None = None
    terms: str | None = None
    origin: str = "manual"
    order_id: uuid.UUID | None = None
    quotation_id: uuid.UUID | None = None
    recurring_invoice_id: uuid.UUID | None = None
    period_date: date | None = None


def reading_day() -> date:
    """The day an invoice's status is read on (`overdue` past its due date): today in UTC,
    as billing does not hold the organization's timezone."""
    return utcnow().date()


async def get_invoice(
    session: AsyncSession, tenant_id: uuid.UUID, invoice_id: uuid.UUID, *, lock: bool = False
) -> InvoiceWithLines:
    invoice = await repository.get(session, tenant_id, invoice_id, lock=lock)
    if invoice is None:
        raise NotFound(
            "No invoice with this id.", details=[field_error("invoice_id", str(invoice_id))]
        )
    lines = await repository.lines_of(session, tenant_id, [invoice.id])
    return InvoiceWithLines(invoice, lines[invoice.id])


async def list_invoices(
    session: AsyncSession, tenant_id: uuid.UUID, filters: InvoiceFilters, page: PageParams
) -> tuple[list[InvoiceWithLines], PageMeta]:
    rows, meta = await repository.list_page(session, tenant_id, filters, page)
    lines = await repository.lines_of(session, tenant_id, [row.id for row in rows])
    return [InvoiceWithLines(row, lines[row.id]) for row in rows], meta


async def create_invoice(
    session: AsyncSession, tenant_id: uuid.UUID, body: InvoiceCreate, *, actor: str | None = None
) -> InvoiceWithLines:
    facts = await _resolve(session, tenant_id, body)
    return await create_draft(session, tenant_id, facts, body.line_items, actor=actor)


async def create_draft(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    facts: DraftFacts,
    items: Sequence[InvoiceLineIn],
    *,
    actor: str | None = None,
) -> InvoiceWithLines:
    """A new draft from resolved facts (by hand, from an order or from a schedule)."""
    invoice = Invoice(
        id=uuid.uuid4(),
        tenant_id=tenant_id,
        status=InvoiceStatus.DRAFT.value,
        paid_amount=ZERO,
        credited_amount=ZERO,
        **vars(facts),
    )
    lines = _price(invoice, items, first_line=1)
    _set_totals(invoice, lines)
    session.add(invoice)
    await session.flush()  # the invoice row first: its lines refer to it
    session.add_all(lines)
    await session.flush()
    record_event(
        session, events.invoice_created(invoice), tenant_id=tenant_id, source=SOURCE, actor=actor
    )
    return InvoiceWithLines(invoice, lines)


async def replace_draft(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    invoice_id: uuid.UUID,
    body: InvoiceCreate,
    *,
    actor: str | None = None,
) -> InvoiceWithLines:
    current = await _draft(session, tenant_id, invoice_id)
    facts = await _resolve(session, tenant_id, body)
    return await _rewrite(session, current, facts, body.line_items, actor=actor)


async def patch_draft(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    invoice_id: uuid.UUID,
    body: InvoicePatch,
    *,
    actor: str | None = None,
) -> InvoiceWithLines:
    current = await _draft(session, tenant_id, invoice_id)
    merged = _merged(current, body.model_dump(exclude_unset=True))
    facts = await _resolve(session, tenant_id, merged)
    return await _rewrite(session, current, facts, merged.line_items, actor=actor)


def _merged(current: InvoiceWithLines, given: dict[str, Any]) -> InvoiceCreate:
    """The draft as a full body with the patched fields laid over it."""
    invoice = current.invoice
    # An explicit due date is kept only while the terms and date it came from are unchanged.
    keeps_due = not ({"payment_terms", "invoice_date"} & given.keys())
    # A rate belongs to its currency: a new currency needs its own.
    keeps_rate = invoice.exchange_rate is not None and "currency_code" not in given
    rate = invoice.exchange_rate.normalize() if keeps_rate and invoice.exchange_rate else None
    try:
        return InvoiceCreate.model_validate(
            {
                "customer_id": invoice.customer_id,
                "invoice_date": invoice.invoice_date,
                "due_date": invoice.due_date if keeps_due else None,
                "payment_terms": invoice.payment_terms,
                "currency_code": invoice.currency_code,
                "exchange_rate": rate,
                "notes": invoice.notes,
                "terms": invoice.terms,
                "line_items": [_line_in(line) for line in current.lines],
                **given,
            }
        )
    except PydanticValidationError as exc:
        raise ValidationFailed(
            "The changed invoice is not valid.", details=validation_details(exc.errors())
        ) from exc


async def delete_draft(session: AsyncSession, tenant_id: uuid.UUID, invoice_id: uuid.UUID) -> None:
    current = await _draft(session, tenant_id, invoice_id)
    await repository.remove(session, current.invoice)


async def add_lines(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    invoice_id: uuid.UUID,
    lines: Sequence[InvoiceLineIn],
    *,
    actor: str | None,
) -> None:
    """Append lines to a draft and recompute its totals (409 INVALID_TRANSITION otherwise)."""
    current = await _draft(session, tenant_id, invoice_id)
    invoice = current.invoice
    added = _price(invoice, lines, first_line=len(current.lines) + 1)
    session.add_all(added)
    _set_totals(invoice, [*current.lines, *added])
    invoice.updated_at = utcnow()
    await session.flush()
    event = events.invoice_updated(invoice, ["line_items"], invoice.updated_at)
    record_event(session, event, tenant_id=tenant_id, source=SOURCE, actor=actor)


async def send_invoice(
    session: AsyncSession, tenant_id: uuid.UUID, invoice_id: uuid.UUID, *, actor: str | None = None
) -> InvoiceWithLines:
    """Issue a draft: number it, fix its rate, snapshot the customer, post it, tell the inbox."""
    current = await get_invoice(session, tenant_id, invoice_id, lock=True)
    invoice = current.invoice
    status = _step(invoice, domain.send)
    if not current.lines or invoice.total_amount <= ZERO:
        raise ValidationFailed(
            "An invoice needs at least one line and a positive total to be sent.",
            details=[field_error("line_items", "add at least one line with an amount")],
        )
    base = await accounting.base_currency(session, tenant_id)
    # Fixed at issue: a draft without a rate takes the tenant's on its invoice_date.
    invoice.exchange_rate = await exchange_rates.document_rate(
        session,
        tenant_id,
        invoice.currency_code,
        invoice.invoice_date,
        invoice.exchange_rate,
        base=base,
    )
    await _snapshot_customer(session, invoice)
    now = utcnow()
    invoice.status = status.value
    invoice.sent_at = now
    await session.flush()
    # The counter row stays locked until commit and every send of the tenant queues on it:
    # number last, leaving only what carries the number (the entry, the event) behind it.
    await ensure_chart(session, tenant_id)
    number = await next_number(session, DocumentCounter, tenant_id, NUMBER_SERIES, now.year)
    invoice.invoice_number = document_number(NUMBER_PREFIX, now.year, number)
    await session.flush()
    await accounting.post_issued(session, invoice, base, actor=actor)
    record_event(
        session,
        events.invoice_sent(invoice, current.lines),
        tenant_id=tenant_id,
        source=SOURCE,
        actor=actor,
    )
    return current


async def void_invoice(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    invoice_id: uuid.UUID,
    reason: str | None,
    *,
    actor: str | None = None,
) -> InvoiceWithLines:
    """Cancel an issued invoice nothing was paid or credited on; its entry is reversed."""
    current = await get_invoice(session, tenant_id, invoice_id, lock=True)
    invoice = current.invoice
    status = _step(
        invoice,
        lambda s: domain.void(
            s, paid_amount=invoice.paid_amount, credited_amount=invoice.credited_amount
        ),
    )
    now = utcnow()
    invoice.status = status.value
    invoice.voided_at = now
    invoice.void_reason = reason
    invoice.balance_amount = ZERO
    await session.flush()
    await accounting.reverse_issued(session, invoice, now.date(), actor=actor)
    record_event(
        session, events.invoice_voided(invoice), tenant_id=tenant_id, source=SOURCE, actor=actor
    )
    return current


async def apply_amount(
    session: AsyncSession,
    invoice: Invoice,
    *,
    on: date,
    paid: Decimal = ZERO,
    credited: Decimal = ZERO,
    actor: str | None = None,
) -> None:
    """Take a payment or a credit off a locked, open invoice; publish paid/partially_paid."""
    try:
        settled = domain.apply(
            status=invoice.status,
            total_amount=invoice.total_amount,
            paid_amount=invoice.paid_amount,
            credited_amount=invoice.credited_amount,
            paid=paid,
            credited=credited,
        )
    except domain.IllegalStep as exc:
        raise InvalidTransition(
            f"Invoice {invoice.invoice_number or invoice.id} is {invoice.status}.",
            details=[field_error("status", invoice.status)],
        ) from exc
    now = utcnow()
    invoice.paid_amount = settled.paid_amount
    invoice.credited_amount = settled.credited_amount
    invoice.balance_amount = settled.balance_amount
    invoice.status = settled.status.value
    if settled.status == InvoiceStatus.PAID:
        invoice.paid_at = now
    invoice.updated_at = now
    await session.flush()
    event = events.invoice_settled(invoice, paid + credited, on, now)
    record_event(session, event, tenant_id=invoice.tenant_id, source=SOURCE, actor=actor)


async def _resolve(session: AsyncSession, tenant_id: uuid.UUID, body: InvoiceCreate) -> DraftFacts:
    """The body with its defaults: the customer's terms and currency, then the tenant's."""
    customer = await customer_of(session, tenant_id, body.customer_id)
    settings = await current_settings(session, tenant_id)
    terms = body.payment_terms or customer.payment_terms or settings.default_payment_terms
    currency = body.currency_code or customer.currency_code
    base = await accounting.base_currency(session, tenant_id)
    # A draft keeps only a rate it states; the tenant's is taken when it is sent.
    rate = exchange_rates.stated_rate(currency, body.exchange_rate, base)
    return DraftFacts(
        customer_id=customer.id,
        customer_name=customer.name,
        customer_email=customer.primary_email,
        billing_address=customer.billing_address,
        invoice_date=body.invoice_date,
        due_date=body.due_date or domain.due_date_for(body.invoice_date, terms),
        payment_terms=terms,
        currency_code=currency,
        exchange_rate=rate,
        notes=body.notes,
        terms=body.terms,
    )


async def _draft(
    session: AsyncSession, tenant_id: uuid.UUID, invoice_id: uuid.UUID
) -> InvoiceWithLines:
    current = await get_invoice(session, tenant_id, invoice_id, lock=True)
    if not domain.is_editable(current.invoice.status):
        raise InvalidTransition(
            f"Only drafts can be changed; this invoice is {current.invoice.status}."
            " Correct an issued invoice with a credit note.",
            details=[field_error("status", current.invoice.status)],
        )
    return current


async def _rewrite(
    session: AsyncSession,
    current: InvoiceWithLines,
    facts: DraftFacts,
    items: Sequence[InvoiceLineIn],
    *,
    actor: str | None,
) -> InvoiceWithLines:
    invoice = current.invoice
    editable = {k: v for k, v in vars(facts).items() if k not in _LINKS}
    changed = [name for name, value in editable.items() if getattr(invoice, name) != value]
    for name, value in editable.items():
        setattr(invoice, name, value)
    await repository.remove_lines(session, invoice.tenant_id, invoice.id)
    lines = _price(invoice, items, first_line=1)
    if [_line_in(line) for line in lines] != [_line_in(line) for line in current.lines]:
        changed.append("line_items")
    _set_totals(invoice, lines)
    invoice.updated_at = utcnow()
    session.add_all(lines)
    await session.flush()
    event = events.invoice_updated(invoice, changed, invoice.updated_at)
    record_event(session, event, tenant_id=invoice.tenant_id, source=SOURCE, actor=actor)
    return InvoiceWithLines(invoice, lines)


async def _snapshot_customer(session: AsyncSession, invoice: Invoice) -> None:
    """The billing details as they are at issue; a customer sales no longer has keeps its copy."""
    customer = await get_customer(session, invoice.tenant_id, invoice.customer_id)
    if customer is not None:
        invoice.customer_name = customer.name
        invoice.customer_email = customer.primary_email
        invoice.billing_address = customer.billing_address


def _step(invoice: Invoice, rule: Any) -> InvoiceStatus:
    try:
        status: InvoiceStatus = rule(invoice.status)
    except domain.IllegalStep as exc:
        raise InvalidTransition(
            str(exc).capitalize() + ".", details=[field_error("status", invoice.status)]
        ) from exc
    return status


def _price(
    invoice: Invoice, items: Sequence[InvoiceLineIn], *, first_line: int
) -> list[InvoiceLine]:
    currency = invoice.currency_code
    return [
        InvoiceLine(
            id=uuid.uuid4(),
            tenant_id=invoice.tenant_id,
            invoice_id=invoice.id,
            line_number=number,
            **item.model_dump(),
            **vars(money.line_amounts(_price_of(item), currency)),
        )
        for number, item in enumerate(items, start=first_line)
    ]


def _set_totals(invoice: Invoice, lines: Sequence[InvoiceLine]) -> None:
    """Totals are sums of the rounded lines; a draft's whole total is its balance."""
    totals = money.document_amounts(
        [_price_of(_line_in(line)) for line in lines], invoice.currency_code
    )
    for name, value in vars(totals).items():
        setattr(invoice, name, value)
    invoice.balance_amount = totals.total_amount - invoice.paid_amount - invoice.credited_amount


def _line_in(line: InvoiceLine) -> InvoiceLineIn:
    return InvoiceLineIn(
        description=line.description,
        quantity=line.quantity.normalize(),
        unit_price=line.unit_price.normalize(),
        discount_percent=line.discount_percent.normalize(),
        tax_rate=line.tax_rate.normalize(),
    )


def _price_of(item: InvoiceLineIn) -> LinePrice:
    return LinePrice(item.quantity, item.unit_price, item.discount_percent, item.tax_rate)


async def invoice_pdf(
    session: AsyncSession, tenant_id: uuid.UUID, invoice_id: uuid.UUID
) -> tuple[str, bytes]:
    """The invoice as a PDF and its file name (`INV-2026-0001.pdf`)."""
    current = await get_invoice(session, tenant_id, invoice_id)
    settings = await current_settings(session, tenant_id)
    organization = await tenants.organization_name(session, tenant_id)
    printable = document.invoice_document(current.invoice, current.lines, settings, organization)
    pdf = await pdf_rendering.render(printable)  # in a worker process, with a deadline
    return document.pdf_filename(current.invoice), pdf
