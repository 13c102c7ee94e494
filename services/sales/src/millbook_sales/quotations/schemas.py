"""Quotation request and response bodies."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_serializer,
    field_validator,
)

from millbook_platform.api_types import CalendarDate, CurrencyCode, Name, PaymentTerms
from millbook_platform.money import money_text, price_text, quantity_text
from millbook_platform.pdf import check_line_text
from millbook_sales.quotations.domain import QuotationStatus

LongText = Annotated[str, StringConstraints(max_length=10000)]
Quantity = Annotated[Decimal, Field(gt=0, max_digits=14, decimal_places=4)]
Price = Annotated[Decimal, Field(ge=0, max_digits=16, decimal_places=4)]


class LineItemIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    product_name: Name
    description: LongText | None = None
    quantity: Quantity
    unit_price: Price
    discount_percent: Annotated[Decimal, Field(ge=0, le=100, decimal_places=4)] = Decimal(0)
    tax_rate: Annotated[Decimal, Field(ge=0, le=1, decimal_places=6)] = Field(
        default=Decimal(0), description='A fraction: "0.10" is 10%.'
    )
    estimated_hours: Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=4)] | None = None
    material_cost: Price | None = None

    def printed_text(self) -> tuple[str, str | None]:
        return self.product_name, self.description


class QuotationCreate(BaseModel):
    """A new draft; also the full replacement a PUT of a draft sends."""

    model_config = ConfigDict(extra="forbid")

    customer_id: uuid.UUID
    quotation_date: CalendarDate = Field(default_factory=date.today)
    valid_until: CalendarDate | None = None
    currency_code: CurrencyCode | None = Field(
        default=None, description="Defaults to the customer's currency."
    )
    line_items: list[LineItemIn] = Field(min_length=1, max_length=500)
    terms: LongText | None = None
    notes: LongText | None = None
    payment_terms: PaymentTerms | None = None
    lead_time_days: Annotated[int, Field(ge=0, le=3650)] | None = None

    @field_validator("line_items")
    @classmethod
    def _printable_size(cls, lines: list[LineItemIn] | None) -> list[LineItemIn] | None:
        check_line_text(text for line in lines or () for text in line.printed_text())
        return lines

    @field_validator("valid_until")
    @classmethod
    def _not_before_quotation_date(cls, value: date | None, info: ValidationInfo) -> date | None:
        quoted = info.data.get("quotation_date")
        if value is not None and quoted is not None and value < quoted:
            raise ValueError("must not be before quotation_date")
        return value


class QuotationUpdate(BaseModel):
    """A partial change of a draft: only the fields sent change; `line_items` replaces all."""

    model_config = ConfigDict(extra="forbid")

    customer_id: uuid.UUID | None = None
    quotation_date: CalendarDate | None = None
    valid_until: CalendarDate | None = None
    currency_code: CurrencyCode | None = None
    line_items: list[LineItemIn] | None = Field(default=None, min_length=1, max_length=500)
    terms: LongText | None = None
    notes: LongText | None = None
    payment_terms: PaymentTerms | None = None
    lead_time_days: Annotated[int, Field(ge=0, le=3650)] | None = None

    @field_validator("line_items")
    @classmethod
    def _printable_size(cls, lines: list[LineItemIn] | None) -> list[LineItemIn] | None:
        check_line_text(text for line in lines or () for text in line.printed_text())
        return lines


# Fields a PATCH may not set to null.
REQUIRED_FIELDS = frozenset({"customer_id", "quotation_date", "line_items"})


class QuotationReject(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: LongText | None = None


class _Priced(BaseModel):
    currency_code: str
    subtotal: Decimal
    discount_amount: Decimal
    tax_amount: Decimal
    total_amount: Decimal

    @field_serializer("subtotal", "discount_amount", "tax_amount", "total_amount")
    def _money(self, amount: Decimal) -> str | None:
        return money_text(amount, self.currency_code)


class LineItem(_Priced):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    line_number: int
    product_name: str
    description: str | None
    quantity: Decimal
    unit_price: Decimal
    discount_percent: Decimal
    tax_rate: Decimal
    estimated_hours: Decimal | None
    material_cost: Decimal | None

    @field_serializer("quantity", "discount_percent", "tax_rate", "estimated_hours")
    def _plain(self, value: Decimal | None) -> str | None:
        return quantity_text(value)

    @field_serializer("unit_price")
    def _price(self, amount: Decimal) -> str | None:
        return price_text(amount, self.currency_code)

    @field_serializer("material_cost")
    def _cost(self, amount: Decimal | None) -> str | None:
        return money_text(amount, self.currency_code)


class Quotation(_Priced):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    quote_number: str | None
    customer_id: uuid.UUID
    quotation_date: date
    valid_until: date | None
    status: QuotationStatus
    terms: str | None
    notes: str | None
    payment_terms: str | None
    lead_time_days: int | None
    duplicated_from: uuid.UUID | None
    sent_at: datetime | None
    accepted_at: datetime | None
    rejected_at: datetime | None
    rejection_reason: str | None
    expired_at: datetime | None
    line_items: list[LineItem]
    created_at: datetime
    updated_at: datetime


def line_view(row: Any, currency_code: str) -> LineItem:
    return LineItem.model_validate(
        {
            **{
                name: getattr(row, name)
                for name in LineItem.model_fields
                if name != "currency_code"
            },
            "currency_code": currency_code,
        }
    )
