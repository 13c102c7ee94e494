"""Field types every API shares: currency, country, address, payment terms, email, and the
bounded dates, instants and integers that keep any input out of reach of a 5xx."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    EmailStr,
    Field,
    StringConstraints,
)

from millbook_platform.iso_codes import COUNTRY_CODES, CURRENCY_MINOR_UNITS

_NET_TERMS = re.compile(r"^Net (\d{1,3})$")


def _currency(code: str) -> str:
    upper = code.upper()
    if upper not in CURRENCY_MINOR_UNITS:
        raise ValueError(f"{code!r} is not an ISO 4217 currency code")
    return upper


def _country(code: str) -> str:
    upper = code.upper()
    if upper not in COUNTRY_CODES:
        raise ValueError(f"{code!r} is not an ISO 3166-1 alpha-2 country code")
    return upper


def _payment_terms(text: str) -> str:
    match = _NET_TERMS.match(text)
    if text == "Due on receipt" or (match and 0 < int(match.group(1)) <= 365):
        return text
    raise ValueError("use 'Due on receipt' or 'Net N' with N from 1 to 365, e.g. 'Net 30'")


CurrencyCode = Annotated[
    str, StringConstraints(min_length=3, max_length=3), AfterValidator(_currency)
]
CountryCode = Annotated[
    str, StringConstraints(min_length=2, max_length=2), AfterValidator(_country)
]
PaymentTerms = Annotated[
    str, StringConstraints(strip_whitespace=True), AfterValidator(_payment_terms)
]
Text50 = Annotated[str, StringConstraints(strip_whitespace=True, max_length=50)]
Text100 = Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Email = Annotated[EmailStr, Field(max_length=320)]


class Address(BaseModel):
    model_config = ConfigDict(extra="forbid")

    line1: Name
    line2: Annotated[str, StringConstraints(max_length=200)] | None = None
    city: Text100 | None = None
    state: Text100 | None = None
    postal_code: Annotated[str, StringConstraints(max_length=20)] | None = None
    country: CountryCode


# The years the ledger takes. Documents add terms (up to a year), schedules add periods
# (up to 36 months) and reports add a day to their end: the margin below year 9999 keeps
# that arithmetic inside Python's and PostgreSQL's calendars, so no date is a 500.
FIRST_YEAR = 1900
LAST_YEAR = 9990
_YEARS = f"from {FIRST_YEAR}-01-01 to {LAST_YEAR}-12-31"
_BARE_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def within_ledger_years(value: date) -> date:
    """`value` if its year is one the ledger takes; ValueError (a 422) otherwise."""
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise ValueError(f"must be a date {_YEARS}")
    return value


def _utc_instant(value: datetime) -> datetime:
    # An instant without an offset is read as UTC, so every comparison is between aware ones.
    aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    within_ledger_years(aware.date())
    return aware


def _end_of_bare_day(value: Any) -> Any:
    # `?date_to=2026-05-01` means through the end of that day, not its first microsecond.
    if isinstance(value, str) and _BARE_DATE.match(value.strip()):
        try:
            day = date.fromisoformat(value.strip())
        except ValueError:
            return value  # the datetime parser names what is wrong with it
        if FIRST_YEAR <= day.year <= LAST_YEAR:
            return datetime.combine(day + timedelta(days=1), time(), UTC) - timedelta(
                microseconds=1
            )
    return value


CalendarDate = Annotated[date, AfterValidator(within_ledger_years)]
"""A date (`YYYY-MM-DD`) within the years the ledger takes."""

Instant = Annotated[datetime, AfterValidator(_utc_instant)]
"""An RFC 3339 instant within the ledger's years; without an offset it is UTC."""

InstantUntil = Annotated[datetime, BeforeValidator(_end_of_bare_day), AfterValidator(_utc_instant)]
"""An inclusive upper bound: a bare date (`2026-05-01`) means the end of that day (UTC)."""

AwareInstant = Annotated[AwareDatetime, AfterValidator(_utc_instant)]
"""An instant that must carry its offset, within the ledger's years."""

# Integers stored in PostgreSQL `integer` columns (line numbers, counts, positions).
Int32 = Annotated[int, Field(ge=-(2**31), le=2**31 - 1)]
PositiveInt32 = Annotated[int, Field(ge=1, le=2**31 - 1)]
