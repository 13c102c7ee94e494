"""Exchange rate rules (pure): which of a currency's rates applies on a day."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal


def rate_on(rates: Iterable[tuple[date, Decimal]], day: date) -> Decimal | None:
    """The rate of the latest `(effective_date, rate)` on or before `day`; None before any."""
    effective = [(since, rate) for since, rate in rates if since <= day]
    return max(effective)[1] if effective else None
