"""Payment use cases: customer receipts with allocations, credit applied later, refunds."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from millbook_billing.customers.repository import CustomerRecord, get_customer
from millbook_billing.customers.service import customer_of
from millbook_billing.invoices import accounting as invoice_accounting
from millbook_billing.invoices import domain as invoice_domain
from millbook_billing.invoices import repository as invoices
from millbook_billing.invoices.events import SOURCE
from millbook_billing.invoices.schemas import MarkPaid
from millbook_billing.invoices.service import apply_amount
from millbook_billing.ledger import service as ledger
from millbook_billing.models import DocumentCounter, Invoice, Payment, PaymentAllocation
from millbook_billing.payments import accounting, events, repository
from millbook_billing.payments.domain import InvoiceAllocation, unapplied
from millbook_billing.payments.repository import PaymentFilters
from millbook_billing.payments.schemas import (
    AllocateCredit,
    AllocationIn,
    PaymentCreate,
    RefundCreate,
)
from millbook_billing.settings.exchange_rates import documents as exchange_rates
from millbook_platform.db import utcnow
from millbook_platform.errors import InvalidTransition, NotFound, ValidationFailed, field_error
from millbook_platform.numbering import document_number, next_number
from millbook_platform.outbox import record_event
from millbook_platform.pagination import PageMeta, PageParams

NUMBER_PREFIX = "PAY"
NUMBER_SERIES = "payment"
ZERO = Decimal(0)


@dataclass(frozen=True)
class PaymentWithAllocations:
    payment: Payment
    allocations: list[PaymentAllocation]


async def get_payment(
    session: AsyncSession, tenant_id: uuid.UUID, payment_id: uuid.UUID, *, lock: bool = False
) -> PaymentWithAllocations:
    payment = await repository.get(session, tenant_id, payment_id, lock=lock)
    if payment is None:
        raise NotFound(
            "No payment with this id.", details=[field_error("payment_id", str(payment_id))]
        )
    allocations = await repository.allocations_of(session, tenant_id, [payment.id])
    return PaymentWithAllocations(payment, allocations[payment.id])


async def list_payments(
    session: AsyncSession, tenant_id: uuid.UUID, filters: PaymentFilters, page: PageParams
) -> tuple[list[PaymentWithAllocations], PageMeta]:
    rows, meta = await repository.list_page(session, tenant_id, filters, page)
    allocations = await repository.allocations_of(session, tenant_id, [row.id for row in rows])
    return [PaymentWithAllocations(row, allocations[row.id]) for row in rows], meta


async def receive(
    session: AsyncSession, tenant_id: uuid.UUID, body: PaymentCreate, *, actor: str | None = None
) -> PaymentWithAllocations:
    """A customer's receipt: allocated to their open invoices, the rest kept as their credit."""
    _only_invoices(body)
    if body.customer_id is None:
        raise ValidationFailed(
            "A receipt names the customer who paid.",
            details=[field_error("customer_id", "required for a receipt")],
        )
    customer = await customer_of(session, tenant_id, body.customer_id)
    currency = body.currency_code or customer.currency_code
    base = await invoice_accounting.base_currency(session, tenant_id)
    rate = await exchange_rates.document_rate(
        session, tenant_id, currency, body.payment_date, body.exchange_rate, base=base
    )
    within(body.allocations, body.amount, field="allocations", what="the payment amount")
    allocated = await validated_allocations(
        session, tenant_id, customer.id, currency, body.allocations
    )
    payment = Payment(
        id=uuid.uuid4(),
        tenant_id=tenant_id,
        payment_type="receipt",
        customer_id=customer.id,
        supplier_id=None,
        amount=body.amount,
        currency_code=currency,
        exchange_rate=rate,
        payment_date=body.payment_date,
        payment_method=body.payment_method,
        payment_reference=body.payment_reference,
        notes=body.notes,
        allocated_amount=ZERO,
        refunded_amount=ZERO,
        refund_of=None,
    )
    rows = await _settle_invoices(session, payment, allocated, body.payment_date, actor=actor)
    await insert_numbered(session, payment, rows)
    await accounting.post_receipt(session, payment, customer.name, allocated, base, actor=actor)
    event = events.payment_received(payment, rows)
    record_event(session, event, tenant_id=tenant_id, source=SOURCE, actor=actor)
    return PaymentWithAllocations(payment, rows)


async def receive_balance(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    invoice_id: uuid.UUID,
    body: MarkPaid,
    *,
    actor: str | None = None,
) -> PaymentWithAllocations:
    """A receipt for an open invoice's whole balance (`mark-paid`)."""
    invoice = await invoices.get(session, tenant_id, invoice_id, lock=True)
    if invoice is None:
        raise NotFound(
            "No invoice with this id.", details=[field_error("invoice_id", str(invoice_id))]
        )
    if not invoice_domain.is_open(invoice.status):
        raise InvalidTransition(
            f"Cannot mark a {invoice.status} invoice paid.",
            details=[field_error("status", invoice.status)],
        )
    receipt = PaymentCreate(
        payment_type="receipt",
        customer_id=invoice.customer_id,
        amount=invoice.balance_amount,
        currency_code=invoice.currency_code,
        exchange_rate=body.exchange_rate or invoice.exchange_rate,
        payment_date=body.payment_date,
        payment_method=body.payment_method,
        payment_reference=body.payment_reference or invoice.invoice_number,
        allocations=[AllocationIn(invoice_id=invoice.id, amount=invoice.balance_amount)],
    )
    return await receive(session, tenant_id, receipt, actor=actor)


async def allocate_credit(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    payment_id: uuid.UUID,
    body: AllocateCredit,
    *,
    actor: str | None = None,
) -> PaymentWithAllocations:
    """Settle invoices from a receipt's unapplied credit."""
    current = await get_payment(session, tenant_id, payment_id, lock=True)
    payment = current.payment
    if payment.payment_type != "receipt" or payment.customer_id is None:
        raise InvalidTransition(
            "Only a customer receipt's credit can be allocated to invoices.",
            details=[field_error("payment_type", payment.payment_type)],
        )
    only_invoice_allocations(body.allocations)
    within(body.allocations, unapplied(payment), field="allocations", what="the unapplied credit")
    allocated = await validated_allocations(
        session, tenant_id, payment.customer_id, payment.currency_code, body.allocations
    )
    base = await invoice_accounting.base_currency(session, tenant_id)
    credit = await accounting.credit_item(session, payment, base)  # before any is used
    rows = await _settle_invoices(session, payment, allocated, body.allocation_date, actor=actor)
    session.add_all(rows)
    await session.flush()
    left = unapplied(payment) + sum((row.amount for row in rows), ZERO)
    for row, item in zip(rows, allocated, strict=True):
        await accounting.post_credit_applied(session, payment, row, item, credit, actor=actor)
        credit = credit.after(row.amount)
        left -= row.amount
        event = events.credit_applied(
            source_type="payment",
            source_id=payment.id,
            source_number=payment.payment_number,
            credit_left=left,
            allocation=row,
            invoice=item.invoice,
        )
        record_event(session, event, tenant_id=tenant_id, source=SOURCE, actor=actor)
    return PaymentWithAllocations(payment, [*current.allocations, *rows])


async def refund(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    payment_id: uuid.UUID,
    body: RefundCreate,
    *,
    actor: str | None = None,
) -> PaymentWithAllocations:
    """Pay back unapplied credit of a receipt: a `refund` payment linked to it."""
    current = await get_payment(session, tenant_id, payment_id, lock=True)
    original = current.payment
    if original.payment_type != "receipt" or original.customer_id is None:
        raise InvalidTransition(
            "Only a customer receipt's unapplied credit can be refunded.",
            details=[field_error("payment_type", original.payment_type)],
        )
    if body.amount > unapplied(original):
        raise ValidationFailed(
            "The refund is more than the receipt's unapplied credit.",
            details=[field_error("amount", f"at most {unapplied(original)}")],
        )
    customer = await _receipts_customer(session, tenant_id, original.customer_id)
    base = await invoice_accounting.base_currency(session, tenant_id)
    credit = await accounting.credit_item(session, original, base)  # before the refund
    original.refunded_amount += body.amount
    refund_row = Payment(
        id=uuid.uuid4(),
        tenant_id=tenant_id,
        payment_type="refund",
        customer_id=original.customer_id,
        supplier_id=None,
        amount=body.amount,
        currency_code=original.currency_code,
        exchange_rate=original.exchange_rate,  # credit leaves at the rate it came in
        payment_date=body.payment_date,
        payment_method=body.payment_method,
        payment_reference=body.payment_reference,
        notes=body.notes,
        allocated_amount=ZERO,
        refunded_amount=ZERO,
        refund_of=original.id,
    )
    await insert_numbered(session, refund_row)
    source = accounting.ref_of(original)
    await accounting.post_refund(session, refund_row, customer.name, source, credit, actor=actor)
    record_event(
        session,
        events.payment_refunded(refund_row),
        tenant_id=tenant_id,
        source=SOURCE,
        actor=actor,
    )
    return PaymentWithAllocations(refund_row, [])


async def insert_numbered(
    session: AsyncSession, payment: Payment, allocations: Sequence[PaymentAllocation] = ()
) -> None:
    """Number a payment and insert it with its allocations, as late as possible.

    The number's counter row stays locked until the transaction commits, and every payment
    and refund of the tenant queues on it: call this after every other write (invoices
    settled, credit taken), leaving only the ledger entry and the event, which carry the
    number, behind it. The chart is seeded first so a tenant's first posting does not
    insert it under the lock.
    """
    await session.flush()  # every pending change, before the counter is locked
    await ledger.ensure_chart(session, payment.tenant_id)
    payment.payment_number = await next_payment_number(session, payment.tenant_id)
    session.add(payment)
    session.add_all(allocations)
    await session.flush()


async def next_payment_number(session: AsyncSession, tenant_id: uuid.UUID) -> str:
    year = utcnow().year
    value = await next_number(session, DocumentCounter, tenant_id, NUMBER_SERIES, year)
    return document_number(NUMBER_PREFIX, year, value)


def _only_invoices(body: PaymentCreate) -> None:
    if body.supplier_id is not None:
        raise ValidationFailed(
            "A receipt comes from a customer, not a supplier.",
            details=[field_error("supplier_id", "not allowed on a receipt")],
        )
    only_invoice_allocations(body.allocations)


def only_invoice_allocations(allocations: Sequence[AllocationIn]) -> None:
    problems = [
        field_error(f"allocations[{i}].invoice_id", "a receipt is allocated to invoices")
        for i, item in enumerate(allocations)
        if item.invoice_id is None or item.bill_id is not None
    ]
    seen: set[uuid.UUID] = set()
    for i, item in enumerate(allocations):
        if item.invoice_id in seen:
            problems.append(field_error(f"allocations[{i}].invoice_id", "listed twice"))
        if item.invoice_id is not None:
            seen.add(item.invoice_id)
    if problems:
        raise ValidationFailed("The allocations are not valid.", details=problems)


def within(allocations: Sequence[AllocationIn], limit: Decimal, *, field: str, what: str) -> None:
    total = sum((item.amount for item in allocations), ZERO)
    if total > limit:
        raise ValidationFailed(
            f"The allocations ({total}) are more than {what} ({limit}).",
            details=[field_error(field, f"sum to at most {limit}")],
        )


async def validated_allocations(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    customer_id: uuid.UUID,
    currency_code: str,
    allocations: Sequence[AllocationIn],
) -> list[InvoiceAllocation]:
    """Lock the invoices (in id order) and check every allocation before anything is written;
    each comes with its invoice's open item, taken before anything is settled."""
    ids = [item.invoice_id for item in allocations if item.invoice_id is not None]
    locked = await invoices.lock_many(session, tenant_id, ids)
    base = await invoice_accounting.base_currency(session, tenant_id)
    problems = []
    result = []
    for i, item in enumerate(allocations):
        assert item.invoice_id is not None
        invoice = locked.get(item.invoice_id)
        problem = _problem(invoice, item.amount, customer_id, currency_code)
        if problem is not None:
            problems.append(field_error(f"allocations[{i}].{problem[0]}", problem[1]))
        elif invoice is not None:
            receivable = await invoice_accounting.open_item(session, invoice, base)
            result.append(InvoiceAllocation(invoice, item.amount, receivable))
    if any(p["message"] == "no such invoice" for p in problems):
        raise NotFound("An allocated invoice does not exist.", details=problems)
    if problems:
        raise ValidationFailed("The allocations are not valid.", details=problems)
    return result


def _problem(
    invoice: Invoice | None, amount: Decimal, customer_id: uuid.UUID, currency_code: str
) -> tuple[str, str] | None:
    if invoice is None:
        return "invoice_id", "no such invoice"
    if invoice.customer_id != customer_id:
        return "invoice_id", "the invoice belongs to another customer"
    if not invoice_domain.is_open(invoice.status):
        return "invoice_id", f"the invoice is {invoice.status}"
    if invoice.currency_code != currency_code:
        return "invoice_id", f"the invoice is in {invoice.currency_code}, not {currency_code}"
    if amount > invoice.balance_amount:
        return "amount", f"more than the invoice's open balance {invoice.balance_amount}"
    return None


async def _settle_invoices(
    session: AsyncSession,
    payment: Payment,
    allocated: Sequence[InvoiceAllocation],
    on: date,
    *,
    actor: str | None,
) -> list[PaymentAllocation]:
    """Take each allocation off its invoice; the allocation rows are returned, not inserted
    (a new payment's row does not exist before it is numbered)."""
    rows = []
    for item in allocated:
        row = PaymentAllocation(
            id=uuid.uuid4(),
            tenant_id=payment.tenant_id,
            payment_id=payment.id,
            invoice_id=item.invoice.id,
            bill_id=None,
            document_number=item.invoice.invoice_number,
            amount=item.amount,
            allocated_on=on,
        )
        rows.append(row)
        payment.allocated_amount += item.amount
        await apply_amount(session, item.invoice, on=on, paid=item.amount, actor=actor)
    return rows


async def _receipts_customer(
    session: AsyncSession, tenant_id: uuid.UUID, customer_id: uuid.UUID
) -> CustomerRecord:
    """The customer of a receipt billing already holds: no wait, sales' event landed long ago."""
    customer = await get_customer(session, tenant_id, customer_id)
    if customer is None:
        raise NotFound(
            "No customer with this id.", details=[field_error("customer_id", str(customer_id))]
        )
    return customer
