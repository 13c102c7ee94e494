"""Field types the sales API shares: currency, country, address, payment terms, email."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, EmailStr, Field, StringConstraints

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
