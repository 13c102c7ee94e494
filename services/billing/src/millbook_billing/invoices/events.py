"""The contract events an invoice change becomes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from millbook_billing.invoices.domain import reads_as
from millbook_billing.models import Invoice, InvoiceLine
from millbook_contracts.billing import (
    InvoiceCreated,
    InvoiceOverdue,
    InvoicePaid,
    InvoicePartiallyPaid,
    InvoiceSent,
    InvoiceUpdated,
    InvoiceVoided,
)
from millbook_contracts.billing import InvoiceLine as LineFacts
from millbook_contracts.sales import Address
from millbook_platform.money import round_money

SOURCE = "/millbook/billing"


def lines_of(lines: Sequence[Any], currency_code: str) -> list[LineFacts]:
    def money(amount: Decimal) -> Decimal:
        return round_money(amount, currency_code)

    return [
        LineFacts(
            line_number=line.line_number,
            description=line.description,
            quantity=line.quantity.normalize(),
            unit_price=line.unit_price.normalize(),
            discount_percent=line.discount_percent.normalize(),
            tax_rate=line.tax_rate.normalize(),
            subtotal=money(line.subtotal),
            discount_amount=money(line.discount_amount),
            tax_amount=money(line.tax_amount),
            total_amount=money(line.total_amount),
        )
        for line in lines
    ]


def _facts(invoice: Invoice, at: datetime, today: date | None = None) -> dict[str, Any]:
    """The invoice as it reads at `at` (so past its due date, `overdue`)."""

    def money(amount: Decimal) -> Decimal:
        return round_money(amount, invoice.currency_code)

    return {
        "invoice_id": invoice.id,
        "invoice_number": invoice.invoice_number,
        "customer_id": invoice.customer_id,
        "customer_name": invoice.customer_name,
        "status": reads_as(
            invoice.status, invoice.due_date, invoice.balance_amount, today or at.date()
        ).value,
        "invoice_date": invoice.invoice_date,
        "due_date": invoice.due_date,
        "currency_code": invoice.currency_code,
        "exchange_rate": invoice.exchange_rate.normalize() if invoice.exchange_rate else None,
        "subtotal": money(invoice.subtotal),
        "discount_amount": money(invoice.discount_amount),
        "tax_amount": money(invoice.tax_amount),
        "total_amount": money(invoice.total_amount),
        "paid_amount": money(invoice.paid_amount),
        "credited_amount": money(invoice.credited_amount),
        "balance_amount": money(invoice.balance_amount),
        "order_id": invoice.order_id,
        "quotation_id": invoice.quotation_id,
        "recurring_invoice_id": invoice.recurring_invoice_id,
        "occurred_at": at,
    }


def invoice_created(invoice: Invoice) -> InvoiceCreated:
    return InvoiceCreated(**_facts(invoice, invoice.created_at), origin=invoice.origin)


def invoice_updated(invoice: Invoice, changed: Sequence[str], at: datetime) -> InvoiceUpdated:
    return InvoiceUpdated(**_facts(invoice, at), changed=sorted(changed))


def invoice_sent(invoice: Invoice, lines: Sequence[InvoiceLine]) -> InvoiceSent:
    assert invoice.sent_at is not None
    assert invoice.invoice_number is not None
    address = Address.model_validate(invoice.billing_address) if invoice.billing_address else None
    return InvoiceSent(
        **{**_facts(invoice, invoice.sent_at), "invoice_number": invoice.invoice_number},
        recipient_email=invoice.customer_email,
        billing_address=address,
        payment_terms=invoice.payment_terms,
        notes=invoice.notes,
        terms=invoice.terms,
        lines=lines_of(lines, invoice.currency_code),
    )


def invoice_settled(
    invoice: Invoice, applied: Decimal, on: date, at: datetime
) -> InvoicePaid | InvoicePartiallyPaid:
    """`paid` when the balance reached zero, otherwise `partially_paid`."""
    assert invoice.invoice_number is not None
    facts = {**_facts(invoice, at), "invoice_number": invoice.invoice_number}
    amount = round_money(applied, invoice.currency_code)
    if invoice.balance_amount == 0:
        return InvoicePaid(**facts, amount_applied=amount, paid_on=on)
    return InvoicePartiallyPaid(**facts, amount_applied=amount)


def invoice_overdue(invoice: Invoice, at: datetime, today: date) -> InvoiceOverdue:
    assert invoice.invoice_number is not None
    facts = _facts(invoice, at, today)
    return InvoiceOverdue(**{**facts, "invoice_number": invoice.invoice_number})


def invoice_voided(invoice: Invoice) -> InvoiceVoided:
    assert invoice.invoice_number is not None
    assert invoice.voided_at is not None
    return InvoiceVoided(
        **{**_facts(invoice, invoice.voided_at), "invoice_number": invoice.invoice_number},
        reason=invoice.void_reason,
    )
