"""Money rounding: half-up to the currency's minor unit (pure)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from millbook_sales.iso_codes import CURRENCY_MINOR_UNITS


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
