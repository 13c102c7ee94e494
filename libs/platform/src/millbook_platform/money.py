"""Money: half-up rounding to the currency's minor unit, wire forms, document line totals (pure)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from functools import cache

from millbook_platform.errors import ValidationFailed, field_error
from millbook_platform.iso_codes import CURRENCY_MINOR_UNITS

# Amount columns are numeric(18, 4): 14 digits before the point. A line whose quantity and
# price are each within bounds can still multiply past that; it is refused, not overflowed.
MAX_AMOUNT = Decimal("99999999999999.9999")


@cache  # on every amount's path: a million-row export asks it millions of times
def minor_unit(currency_code: str) -> Decimal:
    """`Decimal("0.01")` for USD, `Decimal("1")` for JPY, `Decimal("0.001")` for KWD."""
    return Decimal(1).scaleb(-CURRENCY_MINOR_UNITS[currency_code])


def round_money(amount: Decimal, currency_code: str) -> Decimal:
    return amount.quantize(minor_unit(currency_code), rounding=ROUND_HALF_UP)


def money_text(amount: Decimal | None, currency_code: str) -> str | None:
    """The wire form: a decimal string with exactly the currency's minor digits."""
    return None if amount is None else str(round_money(amount, currency_code))


def price_text(amount: Decimal | None, currency_code: str) -> str | None:
    """A unit price: the currency's minor digits, or more when the price has them."""
    if amount is None:
        return None
    rounded = round_money(amount, currency_code)
    return str(rounded) if rounded == amount else format(amount.normalize(), "f")


def quantity_text(value: Decimal | None) -> str | None:
    """`100`, `2.5`: a quantity or rate without trailing zeros."""
    return None if value is None else format(value.normalize(), "f")


HUNDRED = Decimal(100)


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


def line_amounts(line: LinePrice, currency_code: str, *, field: str = "line_items") -> Amounts:
    """Each amount rounded half-up to the currency's minor unit; tax on the discounted amount.

    422 naming `field` when an amount is larger than an amount column holds."""
    subtotal = round_money(line.quantity * line.unit_price, currency_code)
    discount = round_money(subtotal * line.discount_percent / HUNDRED, currency_code)
    tax = round_money((subtotal - discount) * line.tax_rate, currency_code)
    return within_amount_range(Amounts(subtotal, discount, tax, subtotal - discount + tax), field)


def document_amounts(lines: Sequence[LinePrice], currency_code: str) -> Amounts:
    """Totals are sums of the rounded lines, so the lines always add up to the total."""
    total = ZERO
    for index, line in enumerate(lines):
        total = total + line_amounts(line, currency_code, field=f"line_items[{index}]")
    return within_amount_range(total, "line_items")


def within_amount_range(amounts: Amounts, field: str) -> Amounts:
    """`amounts` when every one fits an amount column; otherwise 422 naming `field`."""
    largest = max(abs(value) for value in vars(amounts).values())
    if largest > MAX_AMOUNT:
        raise ValidationFailed(
            "The amount is larger than Millbook records.",
            details=[field_error(field, f"amounts must not exceed {MAX_AMOUNT:,.0f}")],
        )
    return amounts
