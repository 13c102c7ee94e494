"""Credit note use cases: credit an issued invoice in part or in full."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from millbook_billing.credit_notes import accounting, document, domain, repository
from millbook_billing.credit_notes.domain import CreditRefused, CreditSplit, Placement
from millbook_billing.credit_notes.domain import InvoiceLineLeft as LineLeft
from millbook_billing.credit_notes.repository import CreditNoteFilters
from millbook_billing.credit_notes.schemas import CreditLineIn, CreditNoteCreate
from millbook_billing.invoices import accounting as invoice_accounting
from millbook_billing.invoices import repository as invoices
from millbook_billing.invoices.domain import InvoiceStatus
from millbook_billing.invoices.events import SOURCE
from millbook_billing.invoices.service import apply_amount
from millbook_billing.ledger import service as ledger
from millbook_billing.ledger.postings import DocumentRef, OpenItem
from millbook_billing.ledger.service import ensure_chart
from millbook_billing.models import (
    CreditNote,
    CreditNoteLine,
    DocumentCounter,
    Invoice,
    InvoiceLine,
)
from millbook_billing.settings.service import current_settings
from millbook_billing.tenants import service as tenants
from millbook_contracts.billing import CreditNoteIssued
from millbook_platform import pdf_rendering
from millbook_platform.db import utcnow
from millbook_platform.errors import (
    Conflict,
    InvalidTransition,
    NotFound,
    ValidationFailed,
    field_error,
)
from millbook_platform.money import Amounts, LinePrice, round_money
from millbook_platform.numbering import document_number, next_number
from millbook_platform.outbox import record_event
from millbook_platform.pagination import PageMeta, PageParams

NUMBER_PREFIX = "CN"
NUMBER_SERIES = "credit_note"
ZERO = Decimal(0)


@dataclass(frozen=True)
class CreditNoteWithLines:
    note: CreditNote
    lines: list[CreditNoteLine]


async def get_credit_note(
    session: AsyncSession, tenant_id: uuid.UUID, note_id: uuid.UUID, *, lock: bool = False
) -> CreditNoteWithLines:
    note = await repository.get(session, tenant_id, note_id, lock=lock)
    if note is None:
        raise NotFound(
            "No credit note with this id.", details=[field_error("credit_note_id", str(note_id))]
        )
    lines = await repository.lines_of(session, tenant_id, [note.id])
    return CreditNoteWithLines(note, lines[note.id])


async def list_credit_notes(
    session: AsyncSession, tenant_id: uuid.UUID, filters: CreditNoteFilters, page: PageParams
) -> tuple[list[CreditNoteWithLines], PageMeta]:
    rows, meta = await repository.list_page(session, tenant_id, filters, page)
    lines = await repository.lines_of(session, tenant_id, [row.id for row in rows])
    return [CreditNoteWithLines(row, lines[row.id]) for row in rows], meta


async def issue_credit_note(
    session: AsyncSession, tenant_id: uuid.UUID, body: CreditNoteCreate, *, actor: str | None = None
) -> CreditNoteWithLines:
    """Credit an issued invoice: off its open balance, or to customer credit once paid."""
    _one_way_given(body)
    invoice = await invoices.get(session, tenant_id, body.invoice_id, lock=True)
    if invoice is None:
        raise NotFound(
            "No invoice with this id.", details=[field_error("invoice_id", str(body.invoice_id))]
        )
    if invoice.status in (InvoiceStatus.DRAFT, InvoiceStatus.VOIDED):
        raise InvalidTransition(
            f"Only an issued invoice can be credited; this one is {invoice.status}.",
            details=[field_error("status", invoice.status)],
        )
    note = CreditNote(id=uuid.uuid4(), tenant_id=tenant_id, currency_code=invoice.currency_code)
    left = await _creditable(session, invoice)
    lines, split = await _priced(session, invoice, note, body, left)
    try:
        field = "line_items" if body.line_items is not None else "amount"
        domain.check_within(split, left, field=field)
        placement = domain.place(split.total, status=invoice.status, balance=invoice.balance_amount)
    except CreditRefused as exc:
        raise ValidationFailed(
            str(exc).capitalize() + ".", details=[field_error(exc.field, str(exc))]
        ) from exc
    assert invoice.invoice_number is not None
    note.invoice_id = invoice.id
    note.invoice_number = invoice.invoice_number
    note.customer_id = invoice.customer_id
    note.credit_date = body.credit_date
    note.exchange_rate = invoice.exchange_rate
    note.reason = body.reason
    note.applied_amount = placement.applied
    note.customer_credit_amount = placement.customer_credit
    note.allocated_amount = ZERO
    note.refunded_amount = ZERO
    base = await invoice_accounting.base_currency(session, tenant_id)
    receivable = None
    if placement.applied > ZERO:
        receivable = await invoice_accounting.open_item(session, invoice, base)
        await apply_amount(
            session, invoice, on=body.credit_date, credited=placement.applied, actor=actor
        )
    # The counter row stays locked until commit and every credit note of the tenant queues
    # on it: number last, leaving only what carries the number (entry, event) behind it.
    await session.flush()  # every pending change (the invoice's event too), before the counter
    await ensure_chart(session, tenant_id)
    year = utcnow().year
    number = await next_number(session, DocumentCounter, tenant_id, NUMBER_SERIES, year)
    note.credit_note_number = document_number(NUMBER_PREFIX, year, number)
    session.add(note)
    session.add_all(lines)
    await session.flush()
    await _post(session, note, invoice, split, placement, receivable, base, actor=actor)
    record_event(session, _issued(note), tenant_id=tenant_id, source=SOURCE, actor=actor)
    return CreditNoteWithLines(note, lines)


def _one_way_given(body: CreditNoteCreate) -> None:
    given = [body.line_items is not None, body.amount is not None, body.full]
    if sum(given) != 1:
        raise ValidationFailed(
            "Give exactly one of line_items, amount or full.",
            details=[field_error("amount", "give line_items, amount, or full: true")],
        )


async def _creditable(session: AsyncSession, invoice: Invoice) -> CreditSplit:
    done = await repository.credited_so_far(session, invoice.tenant_id, invoice.id)
    return CreditSplit(
        net=invoice.subtotal - invoice.discount_amount - done.net,
        tax=invoice.tax_amount - done.tax,
        total=invoice.total_amount - done.total,
    )


async def _priced(
    session: AsyncSession,
    invoice: Invoice,
    note: CreditNote,
    body: CreditNoteCreate,
    left: CreditSplit,
) -> tuple[list[CreditNoteLine], CreditSplit]:
    currency = invoice.currency_code
    if body.full and left.total <= ZERO:
        raise Conflict(
            f"Invoice {invoice.invoice_number} is fully credited: nothing is left to credit.",
            details=[field_error("full", "nothing is left to credit")],
        )
    if body.line_items is not None:
        lines = await _credited_lines(session, invoice, note, body.line_items)
        split = domain.split_of([_amounts_of(line) for line in lines])
    elif body.full and (whole := await _rest_of_lines(session, invoice, note, left)):
        lines, split = whole, left
    else:
        amount = left.total if body.full else round_money(body.amount or ZERO, currency)
        split = domain.split_amount(
            amount,
            invoice_total=invoice.total_amount,
            invoice_tax=invoice.tax_amount,
            creditable=left,
            currency_code=currency,
        )
        lines = [_single_line(note, invoice, body, split)]
    note.subtotal = sum((line.subtotal for line in lines), ZERO)
    note.discount_amount = sum((line.discount_amount for line in lines), ZERO)
    note.tax_amount = split.tax
    note.total_amount = split.total
    return lines, split


async def _lines_left(
    session: AsyncSession, invoice: Invoice
) -> list[tuple[InvoiceLine, LineLeft]]:
    """The invoice's lines, each with what earlier credit notes credited of it."""
    rows = (await invoices.lines_of(session, invoice.tenant_id, [invoice.id]))[invoice.id]
    credited = await repository.credited_quantities(session, invoice.tenant_id, invoice.id)
    return [
        (row, LineLeft(_price_of(row), _amounts_of(row), credited.get(row.id, ZERO)))
        for row in rows
    ]


async def _credited_lines(
    session: AsyncSession, invoice: Invoice, note: CreditNote, items: Sequence[CreditLineIn]
) -> list[CreditNoteLine]:
    """Each item as a piece of its invoice line; every problem is reported at once."""
    lines = {row.id: (row, left) for row, left in await _lines_left(session, invoice)}
    problems: list[dict[str, str]] = []
    result: list[CreditNoteLine] = []
    seen: set[uuid.UUID] = set()
    for i, item in enumerate(items):
        if item.invoice_line_id not in lines or item.invoice_line_id in seen:
            why = "listed twice" if item.invoice_line_id in seen else "not a line of the invoice"
            problems.append(field_error(f"line_items[{i}].invoice_line_id", why))
            continue
        seen.add(item.invoice_line_id)
        row, left = lines[item.invoice_line_id]
        quantity = left.quantity_left if item.quantity is None else item.quantity
        try:
            field = f"line_items[{i}].quantity"
            amounts = domain.line_credit(left, quantity, invoice.currency_code, field=field)
        except CreditRefused as exc:
            problems.append(field_error(exc.field, str(exc)))
            continue
        result.append(_credit_line(note, len(result) + 1, row, quantity, amounts, item.description))
    if problems:
        raise ValidationFailed("Some lines cannot be credited as given.", details=problems)
    return result


async def _rest_of_lines(
    session: AsyncSession, invoice: Invoice, note: CreditNote, left: CreditSplit
) -> list[CreditNoteLine]:
    """A full credit as what is left of each invoice line, when the lines account for all
    that is left of the invoice (no credit by amount came between); else nothing."""
    currency = invoice.currency_code
    rest = [
        (
            row,
            line.quantity_left,
            domain.line_credit(line, line.quantity_left, currency, field="full"),
        )
        for row, line in await _lines_left(session, invoice)
        if line.quantity_left > ZERO
    ]
    if not rest or domain.split_of([amounts for _, _, amounts in rest]) != left:
        return []
    return [
        _credit_line(note, number, row, quantity, amounts, None)
        for number, (row, quantity, amounts) in enumerate(rest, start=1)
    ]


def _credit_line(
    note: CreditNote,
    number: int,
    line: InvoiceLine,
    quantity: Decimal,
    amounts: Amounts,
    description: str | None,
) -> CreditNoteLine:
    return CreditNoteLine(
        id=uuid.uuid4(),
        tenant_id=note.tenant_id,
        credit_note_id=note.id,
        invoice_line_id=line.id,
        line_number=number,
        description=description or line.description,
        quantity=quantity,
        unit_price=line.unit_price,
        discount_percent=line.discount_percent,
        tax_rate=line.tax_rate,
        **vars(amounts),
    )


def _single_line(
    note: CreditNote, invoice: Invoice, body: CreditNoteCreate, split: CreditSplit
) -> CreditNoteLine:
    rate = (split.tax / split.net).quantize(Decimal("0.000001")) if split.net else ZERO
    return CreditNoteLine(
        id=uuid.uuid4(),
        tenant_id=note.tenant_id,
        credit_note_id=note.id,
        line_number=1,
        description=body.reason or f"Credit on invoice {invoice.invoice_number}",
        quantity=Decimal(1),
        unit_price=split.net,
        discount_percent=ZERO,
        tax_rate=rate,
        subtotal=split.net,
        discount_amount=ZERO,
        tax_amount=split.tax,
        total_amount=split.total,
    )


async def _post(
    session: AsyncSession,
    note: CreditNote,
    invoice: Invoice,
    split: CreditSplit,
    placement: Placement,
    receivable: OpenItem | None,
    base: str,
    *,
    actor: str | None,
) -> None:
    draft = accounting.credit_note_entry(
        credit_note=DocumentRef("credit_note", note.id, note.credit_note_number, None),
        invoice=invoice_accounting.ref_of(invoice),
        customer=invoice_accounting.party_of(invoice),
        entry_date=note.credit_date,
        split=split,
        placement=placement,
        fx=invoice_accounting.fx_of(invoice, base),
        receivable=receivable,
    )
    await ledger.post_entry(session, note.tenant_id, draft, actor=actor)


def _issued(note: CreditNote) -> CreditNoteIssued:
    def amount(value: Decimal) -> Decimal:
        return round_money(value, note.currency_code)

    return CreditNoteIssued(
        credit_note_id=note.id,
        credit_note_number=note.credit_note_number,
        invoice_id=note.invoice_id,
        invoice_number=note.invoice_number,
        customer_id=note.customer_id,
        credit_date=note.credit_date,
        currency_code=note.currency_code,
        subtotal=amount(note.subtotal),
        tax_amount=amount(note.tax_amount),
        total_amount=amount(note.total_amount),
        applied_amount=amount(note.applied_amount),
        customer_credit_amount=amount(note.customer_credit_amount),
        reason=note.reason,
        occurred_at=note.created_at,
    )


def _price_of(line: InvoiceLine) -> LinePrice:
    return LinePrice(line.quantity, line.unit_price, line.discount_percent, line.tax_rate)


def _amounts_of(line: InvoiceLine | CreditNoteLine) -> Amounts:
    return Amounts(line.subtotal, line.discount_amount, line.tax_amount, line.total_amount)


async def credit_note_pdf(
    session: AsyncSession, tenant_id: uuid.UUID, note_id: uuid.UUID
) -> tuple[str, bytes]:
    """The credit note as a PDF and its file name (`CN-2026-0001.pdf`)."""
    current = await get_credit_note(session, tenant_id, note_id)
    invoice = await invoices.get(session, tenant_id, current.note.invoice_id)
    assert invoice is not None, "a credit note refers to its invoice by foreign key"
    settings = await current_settings(session, tenant_id)
    organization = await tenants.organization_name(session, tenant_id)
    printable = document.credit_note_document(
        current.note, current.lines, invoice, settings, organization
    )
    pdf = await pdf_rendering.render(printable)  # in a worker process, with a deadline
    return document.pdf_filename(current.note), pdf
