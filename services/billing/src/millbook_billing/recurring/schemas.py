"""Recurring invoice schedule bodies."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_serializer,
    field_validator,
)

from millbook_billing.invoices.schemas import ExchangeRate, InvoiceLineOut, InvoiceLines
from millbook_billing.recurring.domain import Interval, ScheduleStatus
from millbook_platform.api_types import CalendarDate, CurrencyCode, PaymentTerms
from millbook_platform.money import money_text, quantity_text

LongText = Annotated[str, StringConstraints(max_length=10000)]
Mode = Literal["draft", "issued"]


class RecurringInvoiceCreate(BaseModel):
    """A schedule: the invoice to make each period, how often, from when, until when."""

    model_config = ConfigDict(extra="forbid")

    customer_id: uuid.UUID
    line_items: InvoiceLines = Field(min_length=1, max_length=500)
    currency_code: CurrencyCode | None = None
    exchange_rate: ExchangeRate | None = Field(
        default=None,
        description="A rate every period's invoice keeps; when omitted each invoice takes the"
        " tenant's rate effective on its invoice_date when it is issued.",
    )
    payment_terms: PaymentTerms | None = None
    interval: Interval
    interval_count: Annotated[int, Field(ge=1, le=36)] = 1
    start_date: CalendarDate = Field(
        default_factory=date.today, description="The first period's date."
    )
    end_date: CalendarDate | None = Field(default=None, description="No period after this date.")
    mode: Mode = Field(default="draft", description="Make drafts, or issue each invoice.")
    notes: LongText | None = None
    terms: LongText | None = None

    @field_validator("end_date")
    @classmethod
    def _end_not_before_start(cls, value: date | None, info: ValidationInfo) -> date | None:
        start = info.data.get("start_date")
        if value is not None and start is not None and value < start:
            raise ValueError("must not be before start_date")
        return value


class RecurringInvoicePatch(BaseModel):
    """Change what later periods get; past invoices are untouched."""

    model_config = ConfigDict(extra="forbid")

    line_items: InvoiceLines | None = Field(default=None, min_length=1, max_length=500)
    exchange_rate: ExchangeRate | None = None
    payment_terms: PaymentTerms | None = None
    end_date: CalendarDate | None = None
    mode: Mode | None = None
    status: Literal["active", "paused"] | None = None
    notes: LongText | None = None
    terms: LongText | None = None


class RecurringInvoice(BaseModel):
    id: uuid.UUID
    customer_id: uuid.UUID
    currency_code: str
    exchange_rate: Decimal | None
    payment_terms: str | None
    interval: Interval
    interval_count: int
    start_date: date
    next_date: date
    end_date: date | None
    mode: str
    status: ScheduleStatus
    generated_count: int
    last_generated_at: datetime | None
    notes: str | None
    terms: str | None
    subtotal: Decimal
    discount_amount: Decimal
    tax_amount: Decimal
    total_amount: Decimal
    line_items: list[InvoiceLineOut]
    created_at: datetime
    updated_at: datetime

    @field_serializer("subtotal", "discount_amount", "tax_amount", "total_amount")
    def _amounts(self, amount: Decimal) -> str | None:
        return money_text(amount, self.currency_code)

    @field_serializer("exchange_rate")
    def _rate(self, value: Decimal | None) -> str | None:
        return quantity_text(value)
