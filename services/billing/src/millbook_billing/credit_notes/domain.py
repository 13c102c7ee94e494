"""Credit note rules (pure): how much may still be credited, the tax share of an amount,
and where the credit goes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Protocol

from millbook_platform.money import Amounts, LinePrice, line_amounts, quantity_text, round_money

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
    # Credits by lines may have taken more (or less) than the proportional tax: keep both
    # parts within what is left, so a later credit never finds a negative net or tax.
    tax = min(max(tax, amount - creditable.net), creditable.tax)
    return CreditSplit(net=amount - tax, tax=tax, total=amount)


def check_within(split: CreditSplit, creditable: CreditSplit, *, field: str = "amount") -> None:
    """A credit takes at most what is left of the invoice: its total, net and tax each."""
    if split.total <= ZERO:
        raise CreditRefused(field, "a credit note is for a positive amount")
    if split.total > creditable.total:
        raise CreditRefused(
            field, f"only {creditable.total} of the invoice is left to credit, not {split.total}"
        )
    if split.net > creditable.net or split.tax > creditable.tax:
        raise CreditRefused(
            field,
            f"only {creditable.net} net and {creditable.tax} tax of the invoice are left to"
            f" credit, not {split.net} net and {split.tax} tax",
        )


@dataclass(frozen=True)
class InvoiceLineLeft:
    """An invoice line (its quantity, price terms and amounts as invoiced) and the quantity
    credit notes have credited of it so far."""

    price: LinePrice
    amounts: Amounts
    credited_quantity: Decimal

    @property
    def quantity_left(self) -> Decimal:
        return self.price.quantity - self.credited_quantity

    def amounts_at(self, quantity: Decimal, currency_code: str) -> Amounts:
        """The line's rounded amounts for `quantity` of it; all of it is the line as invoiced."""
        if quantity == self.price.quantity:
            return self.amounts
        return line_amounts(replace(self.price, quantity=quantity), currency_code)


def line_credit(
    line: InvoiceLineLeft, quantity: Decimal, currency_code: str, *, field: str
) -> Amounts:
    """What crediting `quantity` more of an invoice line takes off it.

    Each piece is the change in the line's rounded amounts from the quantity credited before
    to after, so the pieces add up to the line exactly: the last takes what is left, and
    none takes more. A quantity beyond what is left is refused, naming `field`.
    """
    left = line.quantity_left
    if left <= ZERO:
        raise CreditRefused(field, "this invoice line is fully credited already")
    if not ZERO < quantity <= left:
        raise CreditRefused(
            field,
            f"only {quantity_text(left)} of this invoice line is left to credit,"
            f" not {quantity_text(quantity)}",
        )
    before = line.amounts_at(line.credited_quantity, currency_code)
    after = line.amounts_at(line.credited_quantity + quantity, currency_code)
    return Amounts(
        after.subtotal - before.subtotal,
        after.discount_amount - before.discount_amount,
        after.tax_amount - before.tax_amount,
        after.total_amount - before.total_amount,
    )


def split_of(amounts: Sequence[Amounts]) -> CreditSplit:
    """Credit note lines' amounts as net + tax = total."""
    net = sum((a.subtotal - a.discount_amount for a in amounts), ZERO)
    tax = sum((a.tax_amount for a in amounts), ZERO)
    return CreditSplit(net=net, tax=tax, total=net + tax)


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
