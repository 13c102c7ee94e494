"""Invoice rules (pure, no I/O): the status machine, due dates, settlement. Totals:
`millbook_platform.money`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum

ZERO = Decimal(0)
_NET = re.compile(r"^Net (\d{1,3})$")


class InvoiceStatus(StrEnum):
    """What an invoice reads as. `overdue` is never stored: it is derived when read
    (`reads_as`) from the due date, so it is true the moment the date passes."""

    DRAFT = "draft"
    SENT = "sent"
    PARTIAL = "partial"
    PAID = "paid"
    OVERDUE = "overdue"
    VOIDED = "voided"


# Stored statuses of an issued invoice with a balance left: payments and credits apply.
OPEN = frozenset({InvoiceStatus.SENT, InvoiceStatus.PARTIAL})
# `unpaid` (seed 004's filter) is every issued invoice with a balance left.
STATUS_FILTERS: dict[str, frozenset[InvoiceStatus]] = {
    **{status.value: frozenset({status}) for status in InvoiceStatus},
    "unpaid": OPEN | {InvoiceStatus.OVERDUE},
}


class IllegalStep(Exception):
    """An action the invoice's current status does not allow."""


def is_editable(status: str) -> bool:
    return status == InvoiceStatus.DRAFT


def is_open(status: str) -> bool:
    """Issued and not settled: payments and credit notes may be applied."""
    return InvoiceStatus(status) in OPEN or status == InvoiceStatus.OVERDUE


def reads_as(status: str, due_date: date, balance: Decimal, today: date) -> InvoiceStatus:
    """The status a reader sees on `today`: an issued invoice with a balance past its due
    date is `overdue` (derived, never stored); any other reads as stored."""
    if is_past_due(status, due_date, today) and balance > ZERO:
        return InvoiceStatus.OVERDUE
    return InvoiceStatus(status)


def due_date_for(invoice_date: date, payment_terms: str) -> date:
    """`Net 30` is 30 days after the invoice date; `Due on receipt` is the invoice date."""
    if payment_terms == "Due on receipt":
        return invoice_date
    match = _NET.match(payment_terms)
    if match is None:
        raise ValueError(f"unknown payment terms {payment_terms!r}")
    return invoice_date + timedelta(days=int(match.group(1)))


def send(status: str) -> InvoiceStatus:
    if status != InvoiceStatus.DRAFT:
        raise IllegalStep(f"cannot send a {status} invoice")
    return InvoiceStatus.SENT


def void(status: str, *, paid_amount: Decimal, credited_amount: Decimal) -> InvoiceStatus:
    """Only an issued invoice with nothing paid or credited against it can be voided."""
    if not is_open(status):
        raise IllegalStep(f"cannot void a {status} invoice")
    if paid_amount > ZERO or credited_amount > ZERO:
        raise IllegalStep("cannot void an invoice with payments or credit notes applied")
    return InvoiceStatus.VOIDED


def is_past_due(status: str, due_date: date, today: date) -> bool:
    return status in (InvoiceStatus.SENT, InvoiceStatus.PARTIAL) and due_date < today


@dataclass(frozen=True)
class Settlement:
    """An invoice after an amount was applied to it."""

    paid_amount: Decimal
    credited_amount: Decimal
    balance_amount: Decimal
    status: InvoiceStatus


def apply(
    *,
    status: str,
    total_amount: Decimal,
    paid_amount: Decimal,
    credited_amount: Decimal,
    paid: Decimal = ZERO,
    credited: Decimal = ZERO,
) -> Settlement:
    """Apply a payment (`paid`) or a credit note (`credited`) to an open invoice.

    More than the balance is refused, never silently capped. A settled invoice is
    `paid`, otherwise `partial` (which still reads as overdue past its due date).
    """
    if not is_open(status):
        raise IllegalStep(f"cannot apply an amount to a {status} invoice")
    if paid < ZERO or credited < ZERO or paid + credited == ZERO:
        raise ValueError("the amount applied is positive")
    balance = total_amount - paid_amount - credited_amount
    if paid + credited > balance:
        raise ValueError(f"{paid + credited} is more than the open balance {balance}")
    new_balance = balance - paid - credited
    new_status = InvoiceStatus.PAID if new_balance == ZERO else InvoiceStatus.PARTIAL
    return Settlement(paid_amount + paid, credited_amount + credited, new_balance, new_status)
