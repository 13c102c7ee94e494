"""The contract events a payment becomes."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from millbook_billing.models import Invoice, Payment, PaymentAllocation
from millbook_contracts.billing import CreditApplied, PaymentMade, PaymentReceived, PaymentRefunded
from millbook_contracts.billing import PaymentAllocation as AllocationFacts
from millbook_platform.money import round_money


def _facts(payment: Payment) -> dict[str, Any]:
    return {
        "payment_id": payment.id,
        "payment_number": payment.payment_number,
        "amount": round_money(payment.amount, payment.currency_code),
        "currency_code": payment.currency_code,
        "payment_date": payment.payment_date,
        "payment_method": payment.payment_method,
        "payment_reference": payment.payment_reference,
        "occurred_at": payment.created_at,
    }


def _allocations(payment: Payment, rows: Sequence[PaymentAllocation]) -> list[AllocationFacts]:
    return [
        AllocationFacts(
            document_type="invoice" if row.invoice_id is not None else "bill",
            document_id=row.invoice_id or row.bill_id,
            document_number=row.document_number,
            amount=round_money(row.amount, payment.currency_code),
        )
        for row in rows
    ]


def payment_received(payment: Payment, rows: Sequence[PaymentAllocation]) -> PaymentReceived:
    assert payment.customer_id is not None
    rest: Decimal = payment.amount - payment.allocated_amount - payment.refunded_amount
    return PaymentReceived(
        **_facts(payment),
        customer_id=payment.customer_id,
        allocations=_allocations(payment, rows),
        unapplied_amount=round_money(rest, payment.currency_code),
    )


def payment_made(payment: Payment, rows: Sequence[PaymentAllocation]) -> PaymentMade:
    assert payment.supplier_id is not None
    return PaymentMade(
        **_facts(payment), supplier_id=payment.supplier_id, allocations=_allocations(payment, rows)
    )


def payment_refunded(refund: Payment) -> PaymentRefunded:
    assert refund.customer_id is not None
    return PaymentRefunded(
        **_facts(refund),
        customer_id=refund.customer_id,
        refund_of=refund.refund_of,
        credit_note_id=refund.refund_of_credit_note,
    )


def credit_applied(
    *,
    source_type: str,
    source_id: uuid.UUID,
    source_number: str,
    credit_left: Decimal,
    allocation: PaymentAllocation,
    invoice: Invoice,
) -> CreditApplied:
    """Credit a payment or credit note held, applied to `invoice` (already settled)."""
    currency = invoice.currency_code
    assert invoice.invoice_number is not None, "credit is applied to issued invoices"
    return CreditApplied(
        application_id=allocation.id,
        source_type=source_type,
        source_id=source_id,
        source_number=source_number,
        customer_id=invoice.customer_id,
        invoice_id=invoice.id,
        invoice_number=invoice.invoice_number,
        amount=round_money(allocation.amount, currency),
        currency_code=currency,
        applied_on=allocation.allocated_on,
        source_credit_left=round_money(credit_left, currency),
        invoice_balance_amount=round_money(invoice.balance_amount, currency),
        invoice_status=invoice.status,
        occurred_at=allocation.created_at,
    )
