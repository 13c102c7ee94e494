"""Credit note rules (pure): how much may still be credited, the tax share of an amount,
and where the credit goes."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from millbook_platform.money import round_money

ZERO = Decimal(0)


@dataclass(frozen=True)
class CreditSplit:
    net: Decimal
    tax: Decimal
    total: Decimal


@dataclass(frozen=True)
class Placement:
    """Where a credit note's total goes: off the invoice's balance, or to customer credit."""

    applied: Decimal
    customer_credit: Decimal


class HasCustomerCredit(Protocol):
    customer_credit_amount: Decimal
    allocated_amount: Decimal
    refunded_amount: Decimal


def available_credit(note: HasCustomerCredit) -> Decimal:
    """The customer credit a credit note still holds: neither allocated nor refunded."""
    return note.customer_credit_amount - note.allocated_amount - note.refunded_amount


class CreditRefused(Exception):
    """A credit note the invoice cannot take; `field` names the offending input."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def split_amount(
    amount: Decimal,
    *,
    invoice_total: Decimal,
    invoice_tax: Decimal,
    creditable: CreditSplit,
    currency_code: str,
) -> CreditSplit:
    """A gross amount as net + tax in the invoice's proportion; all that is left takes all
    the tax left, so a series of credits never leaves a cent of tax behind."""
    if amount == creditable.total:
        return creditable
    tax = (
        round_money(amount * invoice_tax / invoice_total, currency_code) if invoice_total else ZERO
    )
    return CreditSplit(net=amount - tax, tax=tax, total=amount)


def check_within(total: Decimal, creditable: Decimal) -> None:
    if total <= ZERO:
        raise CreditRefused("amount", "a credit note is for a positive amount")
    if total > creditable:
        raise CreditRefused(
            "amount", f"only {creditable} of the invoice is left to credit, not {total}"
        )


def place(total: Decimal, *, status: str, balance: Decimal) -> Placement:
    """An open invoice takes the credit off its balance, never more: what exceeds the open
    balance of a partly paid invoice settles it and the rest becomes the customer's credit.
    A paid invoice's whole credit becomes the customer's credit."""
    if total <= ZERO:
        raise CreditRefused("amount", "a credit note is for a positive amount")
    if status == "paid":
        return Placement(applied=ZERO, customer_credit=total)
    if status in ("sent", "partial", "overdue"):
        applied = min(total, max(balance, ZERO))
        return Placement(applied=applied, customer_credit=total - applied)
    raise CreditRefused("invoice_id", f"a {status} invoice cannot be credited")
