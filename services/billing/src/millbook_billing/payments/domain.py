"""Payment rules (pure): what is left of a receipt to allocate or refund."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from millbook_billing.ledger.postings import OpenItem
from millbook_billing.models import Invoice, Payment


@dataclass(frozen=True)
class InvoiceAllocation:
    """A validated allocation: the locked invoice and the amount taken off it."""

    invoice: Invoice
    amount: Decimal
    receivable: OpenItem  # the invoice's open item before this allocation


def unapplied(payment: Payment) -> Decimal:
    """The customer credit a receipt still holds: neither allocated nor refunded."""
    return payment.amount - payment.allocated_amount - payment.refunded_amount
