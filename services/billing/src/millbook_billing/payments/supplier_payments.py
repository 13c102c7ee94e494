"""Payments to suppliers: allocated to approved bills through PAYABLES' `allocate_payment`."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from millbook_billing.bills.service import BillAllocationResult, allocate_payment
from millbook_billing.invoices import accounting as invoice_accounting
from millbook_billing.invoices.events import SOURCE
from millbook_billing.ledger import postings
from millbook_billing.ledger import service as ledger
from millbook_billing.models import Payment, PaymentAllocation
from millbook_billing.payments import accounting, events
from millbook_billing.payments.schemas import PaymentCreate
from millbook_billing.payments.service import PaymentWithAllocations, insert_numbered, within
from millbook_billing.settings.exchange_rates import documents as exchange_rates
from millbook_billing.suppliers.service import supplier_of
from millbook_platform.errors import AppError, ValidationFailed, field_error
from millbook_platform.outbox import record_event

ZERO = Decimal(0)


async def pay_supplier(
    session: AsyncSession, tenant_id: uuid.UUID, body: PaymentCreate, *, actor: str | None = None
) -> PaymentWithAllocations:
    """A payment to a supplier, settling the allocated bills; an unallocated rest is an advance."""
    _only_bills(body)
    assert body.supplier_id is not None
    supplier = await supplier_of(session, tenant_id, body.supplier_id)
    currency = body.currency_code or supplier.currency_code
    base = await invoice_accounting.base_currency(session, tenant_id)
    rate = await exchange_rates.document_rate(
        session, tenant_id, currency, body.payment_date, body.exchange_rate, base=base
    )
    within(body.allocations, body.amount, field="allocations", what="the payment amount")
    settled = await _settle_bills(session, tenant_id, body, currency)
    payment = Payment(
        id=uuid.uuid4(),
        tenant_id=tenant_id,
        payment_type="payment",
        customer_id=None,
        supplier_id=supplier.id,
        amount=body.amount,
        currency_code=currency,
        exchange_rate=rate,
        payment_date=body.payment_date,
        payment_method=body.payment_method,
        payment_reference=body.payment_reference,
        notes=body.notes,
        allocated_amount=sum((item.amount for item in body.allocations), ZERO),
        refunded_amount=ZERO,
        refund_of=None,
    )
    rows = [
        PaymentAllocation(
            id=uuid.uuid4(),
            tenant_id=tenant_id,
            payment_id=payment.id,
            invoice_id=None,
            bill_id=item.bill_id,
            document_number=result.bill.number,
            amount=item.amount,
            allocated_on=body.payment_date,
        )
        for item, result in zip(body.allocations, settled, strict=True)
    ]
    await insert_numbered(session, payment, rows)  # last: the number's counter stays locked
    draft = postings.supplier_payment(
        payment=accounting.ref_of(payment),
        supplier=postings.Party("supplier", supplier.id, supplier.name),
        entry_date=payment.payment_date,
        amount=payment.amount,
        allocations=[
            (result.bill, item.amount, result.payable)
            for item, result in zip(body.allocations, settled, strict=True)
        ],
        fx=accounting.fx_of(payment, base),
    )
    await ledger.post_entry(session, tenant_id, draft, actor=actor)
    event = events.payment_made(payment, rows)
    record_event(session, event, tenant_id=tenant_id, source=SOURCE, actor=actor)
    return PaymentWithAllocations(payment, rows)


def _only_bills(body: PaymentCreate) -> None:
    problems = []
    if body.supplier_id is None:
        problems.append(field_error("supplier_id", "required for a payment to a supplier"))
    if body.customer_id is not None:
        problems.append(field_error("customer_id", "not allowed on a payment to a supplier"))
    seen: set[uuid.UUID] = set()
    for i, item in enumerate(body.allocations):
        if item.bill_id is None or item.invoice_id is not None:
            problems.append(field_error(f"allocations[{i}].bill_id", "a payment settles bills"))
        elif item.bill_id in seen:
            problems.append(field_error(f"allocations[{i}].bill_id", "listed twice"))
        else:
            seen.add(item.bill_id)
    if problems:
        raise ValidationFailed("The payment is not valid.", details=problems)


async def _settle_bills(
    session: AsyncSession, tenant_id: uuid.UUID, body: PaymentCreate, currency: str
) -> list[BillAllocationResult]:
    """Allocate to each bill in bill-id order (so concurrent payments lock alike); an error
    names the allocation it came from, and the request's rollback undoes the others."""
    order = sorted(range(len(body.allocations)), key=lambda i: str(body.allocations[i].bill_id))
    results: dict[int, BillAllocationResult] = {}
    for i in order:
        item = body.allocations[i]
        assert item.bill_id is not None
        try:
            result = await allocate_payment(
                session, tenant_id, item.bill_id, item.amount, payment_date=body.payment_date
            )
        except AppError as exc:
            raise _named(exc, i) from exc
        if result.fx.currency_code != currency:
            raise ValidationFailed(
                "A bill is in another currency than the payment.",
                details=[
                    field_error(
                        f"allocations[{i}].bill_id", f"the bill is in {result.fx.currency_code}"
                    )
                ],
            )
        results[i] = result
    return [results[i] for i in range(len(body.allocations))]


def _named(exc: AppError, index: int) -> AppError:
    """The same error, its details pointing at `allocations[index]`."""
    field = "amount" if isinstance(exc, ValidationFailed) else "bill_id"
    details: Sequence[dict[str, str]] = [
        field_error(f"allocations[{index}].{field}", str(detail.get("message", "")))
        for detail in exc.details
    ] or [field_error(f"allocations[{index}].{field}", exc.message)]
    return type(exc)(exc.message, details=details)
