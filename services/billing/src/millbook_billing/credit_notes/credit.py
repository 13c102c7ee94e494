"""The customer credit a credit note leaves on a paid invoice: applied to other invoices
of the customer, or paid back as a refund."""

from __future__ import annotations

import uuid
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from millbook_billing.credit_notes.domain import available_credit
from millbook_billing.credit_notes.service import CreditNoteWithLines, get_credit_note
from millbook_billing.invoices import accounting as invoice_accounting
from millbook_billing.invoices import repository as invoices
from millbook_billing.invoices.events import SOURCE
from millbook_billing.invoices.service import apply_amount
from millbook_billing.ledger import postings
from millbook_billing.ledger import service as ledger
from millbook_billing.ledger.postings import DocumentRef, Fx, HeldCredit, Party
from millbook_billing.models import CreditNote, Payment, PaymentAllocation
from millbook_billing.payments import accounting as payment_accounting
from millbook_billing.payments import events as payment_events
from millbook_billing.payments.schemas import AllocateCredit, RefundCreate
from millbook_billing.payments.service import (
    PaymentWithAllocations,
    insert_numbered,
    only_invoice_allocations,
    validated_allocations,
    within,
)
from millbook_platform.errors import ValidationFailed, field_error
from millbook_platform.outbox import record_event


def _ref(note: CreditNote) -> DocumentRef:
    return DocumentRef("credit_note", note.id, note.credit_note_number, None)


def _fx(note: CreditNote, base: str) -> Fx:
    assert note.exchange_rate is not None, "a credit note keeps its invoice's fixed rate"
    return Fx(note.currency_code, base, note.exchange_rate)


async def credit_item(session: AsyncSession, note: CreditNote, base: str) -> HeldCredit:
    """The credit note's customer credit as it stands: take it before a piece is used."""
    carried = await payment_accounting.customer_credit_carried(session, note.tenant_id, note.id)
    total = note.customer_credit_amount
    return HeldCredit(_fx(note, base), total, available_credit(note), carried)


async def allocate_credit(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    note_id: uuid.UUID,
    body: AllocateCredit,
    *,
    actor: str | None = None,
) -> CreditNoteWithLines:
    """Settle open invoices of the same customer from the credit note's available credit."""
    current = await get_credit_note(session, tenant_id, note_id, lock=True)
    note = current.note
    only_invoice_allocations(body.allocations)
    within(body.allocations, available_credit(note), field="allocations", what="the credit left")
    allocated = await validated_allocations(
        session, tenant_id, note.customer_id, note.currency_code, body.allocations
    )
    base = await invoice_accounting.base_currency(session, tenant_id)
    credit = await credit_item(session, note, base)  # before any of it is used
    applied = []
    for item in allocated:
        row = PaymentAllocation(
            id=uuid.uuid4(),
            tenant_id=tenant_id,
            payment_id=None,
            credit_note_id=note.id,
            invoice_id=item.invoice.id,
            bill_id=None,
            document_number=item.invoice.invoice_number,
            amount=item.amount,
            allocated_on=body.allocation_date,
        )
        session.add(row)
        note.allocated_amount += item.amount
        await apply_amount(
            session, item.invoice, on=body.allocation_date, credited=item.amount, actor=actor
        )
        draft = postings.customer_credit_applied(
            source=_ref(note),
            invoice=invoice_accounting.ref_of(item.invoice),
            customer=invoice_accounting.party_of(item.invoice),
            entry_date=body.allocation_date,
            amount=item.amount,
            # A piece of the credit note's credit out of Customer Credits, a piece of the
            # invoice's receivable off AR: neither keeps a residue.
            fx=credit,
            invoice_fx=item.receivable,
            application_id=row.id,
        )
        await ledger.post_entry(session, tenant_id, draft, actor=actor)
        credit = credit.after(item.amount)
        applied.append((row, item.invoice))
    await session.flush()
    left = available_credit(note) + sum((row.amount for row, _ in applied), Decimal(0))
    for row, invoice in applied:
        left -= row.amount
        event = payment_events.credit_applied(
            source_type="credit_note",
            source_id=note.id,
            source_number=note.credit_note_number,
            credit_left=left,
            allocation=row,
            invoice=invoice,
        )
        record_event(session, event, tenant_id=tenant_id, source=SOURCE, actor=actor)
    return current


async def refund_credit(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    note_id: uuid.UUID,
    body: RefundCreate,
    *,
    actor: str | None = None,
) -> PaymentWithAllocations:
    """Pay back part or all of the credit note's available credit: a `refund` payment."""
    note = (await get_credit_note(session, tenant_id, note_id, lock=True)).note
    if body.amount > available_credit(note):
        raise ValidationFailed(
            "The refund is more than the credit note's available credit.",
            details=[field_error("amount", f"at most {available_credit(note)}")],
        )
    base = await invoice_accounting.base_currency(session, tenant_id)
    credit = await credit_item(session, note, base)  # before the refund
    note.refunded_amount += body.amount
    invoice = await invoices.get(session, tenant_id, note.invoice_id)
    assert invoice is not None, "a credit note refers to its invoice by foreign key"
    refund = Payment(
        id=uuid.uuid4(),
        tenant_id=tenant_id,
        payment_type="refund",
        customer_id=note.customer_id,
        supplier_id=None,
        amount=body.amount,
        currency_code=note.currency_code,
        exchange_rate=note.exchange_rate,  # credit leaves at the rate it was booked
        payment_date=body.payment_date,
        payment_method=body.payment_method,
        payment_reference=body.payment_reference,
        notes=body.notes,
        allocated_amount=Decimal(0),
        refunded_amount=Decimal(0),
        refund_of=None,
        refund_of_credit_note=note.id,
    )
    await insert_numbered(session, refund)  # last but the entry and event: see insert_numbered
    draft = postings.customer_refund(
        payment=payment_accounting.ref_of(refund),
        customer=Party("customer", note.customer_id, invoice.customer_name),
        entry_date=refund.payment_date,
        amount=refund.amount,
        fx=credit,
        source=_ref(note),
    )
    await ledger.post_entry(session, tenant_id, draft, actor=actor)
    event = payment_events.payment_refunded(refund)
    record_event(session, event, tenant_id=tenant_id, source=SOURCE, actor=actor)
    return PaymentWithAllocations(refund, [])
