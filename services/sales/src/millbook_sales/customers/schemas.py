"""Customer request and response bodies."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_serializer

from millbook_platform.api_types import (
    Address,
    CurrencyCode,
    Email,
    Name,
    PaymentTerms,
    Text50,
)
from millbook_platform.money import money_text
from millbook_sales.customers.domain import CustomerStatus

CustomerCode = Annotated[
    str,
    StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,49}$"),
]
Tag = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50)]
CreditLimit = Annotated[Decimal, Field(ge=0, max_digits=16, decimal_places=4)]


class CustomerCreate(BaseModel):
    """A new customer; also the full replacement a PUT sends."""

    model_config = ConfigDict(extra="forbid")

    customer_code: CustomerCode | None = Field(
        default=None, description="Unique in the organization; `CUST-0001` style when omitted."
    )
    name: Name
    company: Name | None = None
    primary_email: Email | None = None
    primary_phone: Text50 | None = None
    tax_number: Text50 | None = None
    billing_address: Address | None = None
    shipping_address: Address | None = None
    credit_limit: CreditLimit | None = None
    payment_terms: PaymentTerms = "Net 30"
    currency_code: CurrencyCode | None = Field(
        default=None,
        description="One the organization accepts (`/v1/sales/settings`); defaults to its base.",
    )
    segment: Text50 | None = None
    status: CustomerStatus = CustomerStatus.ACTIVE
    tags: list[Tag] = Field(default_factory=list, max_length=50)


class CustomerUpdate(BaseModel):
    """A partial change: only the fields sent change."""

    model_config = ConfigDict(extra="forbid")

    customer_code: CustomerCode | None = None
    name: Name | None = None
    company: Name | None = None
    primary_email: Email | None = None
    primary_phone: Text50 | None = None
    tax_number: Text50 | None = None
    billing_address: Address | None = None
    shipping_address: Address | None = None
    credit_limit: CreditLimit | None = None
    payment_terms: PaymentTerms | None = None
    currency_code: CurrencyCode | None = None
    segment: Text50 | None = None
    status: CustomerStatus | None = None
    tags: list[Tag] | None = Field(default=None, max_length=50)


# Fields a PATCH may not set to null.
REQUIRED_FIELDS = frozenset(
    {"customer_code", "name", "payment_terms", "currency_code", "status", "tags"}
)


class Customer(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    customer_code: str
    name: str
    company: str | None
    primary_email: str | None
    primary_phone: str | None
    tax_number: str | None
    billing_address: Address | None
    shipping_address: Address | None
    credit_limit: Decimal | None
    payment_terms: str
    currency_code: str
    segment: str | None
    status: CustomerStatus
    tags: list[str]
    created_at: datetime
    updated_at: datetime

    @field_serializer("credit_limit")
    def _money(self, amount: Decimal | None) -> str | None:
        return money_text(amount, self.currency_code)
