"""Quotation rules: line and document totals, the status machine (pure, no I/O)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from millbook_sales.money import round_money

HUNDRED = Decimal(100)


class QuotationStatus(StrEnum):
    DRAFT = "draft"
    SENT = "sent"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    EXPIRED = "expired"


# action -> (the statuses it may start from, the status it leads to)
TRANSITIONS: dict[str, tuple[frozenset[QuotationStatus], QuotationStatus]] = {
    "send": (frozenset({QuotationStatus.DRAFT}), QuotationStatus.SENT),
    "accept": (frozenset({QuotationStatus.SENT}), QuotationStatus.ACCEPTED),
    "reject": (frozenset({QuotationStatus.SENT}), QuotationStatus.REJECTED),
    "expire": (frozenset({QuotationStatus.SENT}), QuotationStatus.EXPIRED),
}


class IllegalStep(Exception):
    """An action the quotation's current status does not allow."""


def next_status(current: str, action: str) -> QuotationStatus:
    allowed_from, target = TRANSITIONS[action]
    if QuotationStatus(current) not in allowed_from:
        raise IllegalStep(f"cannot {action} a {current} quotation")
    return target


def is_editable(status: str) -> bool:
    return status == QuotationStatus.DRAFT


@dataclass(frozen=True)
class LinePrice:
    quantity: Decimal
    unit_price: Decimal
    discount_percent: Decimal = Decimal(0)
    tax_rate: Decimal = Decimal(0)


@dataclass(frozen=True)
class Amounts:
    subtotal: Decimal
    discount_amount: Decimal
    tax_amount: Decimal
    total_amount: Decimal

    def __add__(self, other: Amounts) -> Amounts:
        return Amounts(
            self.subtotal + other.subtotal,
            self.discount_amount + other.discount_amount,
            self.tax_amount + other.tax_amount,
            self.total_amount + other.total_amount,
        )


ZERO = Amounts(Decimal(0), Decimal(0), Decimal(0), Decimal(0))


def line_amounts(line: LinePrice, currency_code: str) -> Amounts:
    """Each amount rounded half-up to the currency's minor unit; tax on the discounted amount."""
    subtotal = round_money(line.quantity * line.unit_price, currency_code)
    discount = round_money(subtotal * line.discount_percent / HUNDRED, currency_code)
    tax = round_money((subtotal - discount) * line.tax_rate, currency_code)
    return Amounts(subtotal, discount, tax, subtotal - discount + tax)


def document_amounts(lines: Sequence[LinePrice], currency_code: str) -> Amounts:
    """Totals are sums of the rounded lines, so the lines always add up to the total."""
    total = ZERO
    for line in lines:
        total = total + line_amounts(line, currency_code)
    return total
