"""Payment request and response bodies."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_serializer

from millbook_platform.api_types import CalendarDate, CurrencyCode
from millbook_platform.money import money_text, quantity_text

Amount = Annotated[Decimal, Field(gt=0, max_digits=16, decimal_places=4)]
ExchangeRate = Annotated[Decimal, Field(gt=0, max_digits=18, decimal_places=8)]
Method = Annotated[str, StringConstraints(strip_whitespace=True, max_length=30)]
Reference = Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)]
Notes = Annotated[str, StringConstraints(max_length=2000)]


class AllocationIn(BaseModel):
    """Part of a payment settled against one invoice (receipts) or one bill (payments)."""

    model_config = ConfigDict(extra="forbid")

    invoice_id: uuid.UUID | None = None
    bill_id: uuid.UUID | None = None
    amount: Amount


class PaymentCreate(BaseModel):
    """A receipt from a customer or a payment to a supplier (seed 004's body)."""

    model_config = ConfigDict(extra="forbid")

    payment_type: Literal["receipt", "payment"]
    customer_id: uuid.UUID | None = None
    supplier_id: uuid.UUID | None = None
    amount: Amount
    currency_code: CurrencyCode | None = Field(
        default=None, description="Defaults to the customer's currency, or the base currency."
    )
    exchange_rate: ExchangeRate | None = Field(
        default=None,
        description="Base currency per unit; defaults to the tenant's rate effective on"
        " payment_date.",
    )
    payment_date: CalendarDate = Field(default_factory=date.today)
    payment_method: Method | None = None
    payment_reference: Reference | None = None
    notes: Notes | None = None
    allocations: list[AllocationIn] = Field(default_factory=list, max_length=200)


class AllocateCredit(BaseModel):
    """Allocate a receipt's unapplied credit to invoices of the same customer."""

    model_config = ConfigDict(extra="forbid")

    allocations: list[AllocationIn] = Field(min_length=1, max_length=200)
    allocation_date: CalendarDate = Field(default_factory=date.today)


class RefundCreate(BaseModel):
    """Pay back part or all of a receipt's unapplied credit."""

    model_config = ConfigDict(extra="forbid")

    amount: Amount
    payment_date: CalendarDate = Field(default_factory=date.today)
    payment_method: Method | None = None
    payment_reference: Reference | None = None
    notes: Notes | None = None


class AllocationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    invoice_id: uuid.UUID | None
    bill_id: uuid.UUID | None
    document_number: str | None
    amount: Decimal
    allocated_on: date
    currency_code: str

    @field_serializer("amount")
    def _amount(self, amount: Decimal) -> str | None:
        return money_text(amount, self.currency_code)


class Payment(BaseModel):
    id: uuid.UUID
    payment_number: str
    payment_type: str
    customer_id: uuid.UUID | None
    supplier_id: uuid.UUID | None
    amount: Decimal
    currency_code: str
    exchange_rate: Decimal | None
    payment_date: date
    payment_method: str | None
    payment_reference: str | None
    notes: str | None
    allocated_amount: Decimal
    refunded_amount: Decimal
    unapplied_amount: Decimal
    refund_of: uuid.UUID | None
    refund_of_credit_note: uuid.UUID | None
    allocations: list[AllocationOut]
    created_at: datetime

    @field_serializer("amount", "allocated_amount", "refunded_amount", "unapplied_amount")
    def _amounts(self, amount: Decimal) -> str | None:
        return money_text(amount, self.currency_code)

    @field_serializer("exchange_rate")
    def _rate(self, value: Decimal | None) -> str | None:
        return quantity_text(value)
