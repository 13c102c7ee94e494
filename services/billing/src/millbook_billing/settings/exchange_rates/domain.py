"""Exchange rate rules (pure): which of a currency's rates applies on a day, and the rate a
document states before the tenant's rates are asked."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal

ONE = Decimal(1)


class BaseCurrencyRateRefused(ValueError):
    """A rate other than 1 was given for a document in the base currency."""


def rate_on(rates: Iterable[tuple[date, Decimal]], day: date) -> Decimal | None:
    """The rate of the latest `(effective_date, rate)` on or before `day`; None before any."""
    effective = [(since, rate) for since, rate in rates if since <= day]
    return max(effective)[1] if effective else None


def stated_rate(currency_code: str, base: str, given: Decimal | None) -> Decimal | None:
    """The rate a document states on its own: 1 in the base currency (where a given rate must
    be 1), else the one given; None leaves it to the tenant's rate on the document's date."""
    if currency_code == base:
        if given is not None and given != ONE:
            raise BaseCurrencyRateRefused(f"{base} is the base currency: its rate is 1")
        return ONE
    return given
