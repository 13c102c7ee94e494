"""The contract events a payment becomes."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from millbook_billing.models import Payment, PaymentAllocation
from millbook_contracts.billing import PaymentAllocation as AllocationFacts
from millbook_contracts.billing import PaymentMade, PaymentReceived, PaymentRefunded
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
