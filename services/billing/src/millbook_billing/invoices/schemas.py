"""Invoice request and response bodies."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_serializer,
    field_validator,
)

from millbook_billing.invoices.domain import InvoiceStatus
from millbook_platform.api_types import CalendarDate, CurrencyCode, PaymentTerms
from millbook_platform.money import money_text, price_text, quantity_text
from millbook_platform.pdf import check_line_text

LongText = Annotated[str, StringConstraints(max_length=10000)]
Description = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)
]
Quantity = Annotated[Decimal, Field(gt=0, max_digits=14, decimal_places=4)]
Price = Annotated[Decimal, Field(ge=0, max_digits=16, decimal_places=4)]
ExchangeRate = Annotated[Decimal, Field(gt=0, max_digits=18, decimal_places=8)]
DiscountPercent = Annotated[Decimal, Field(ge=0, le=100, decimal_places=4)]
TaxRate = Annotated[Decimal, Field(ge=0, le=1, decimal_places=6)]


class InvoiceLineIn(BaseModel):
    """One line: amounts are computed from these, never sent."""

    model_config = ConfigDict(extra="forbid")

    description: Description
    quantity: Quantity
    unit_price: Price
    discount_percent: DiscountPercent = Decimal(0)
    tax_rate: TaxRate = Field(default=Decimal(0), description='A fraction: "0.10" is 10%.')


def _printable(lines: list[InvoiceLineIn]) -> list[InvoiceLineIn]:
    check_line_text(line.description for line in lines)
    return lines


# Lines an invoice prints: at most 500, holding at most `MAX_LINE_TEXT` characters.
InvoiceLines = Annotated[list[InvoiceLineIn], AfterValidator(_printable)]


class InvoiceCreate(BaseModel):
    """A new draft; also the full replacement a PUT of a draft sends."""

    model_config = ConfigDict(extra="forbid")

    customer_id: uuid.UUID
    invoice_date: CalendarDate = Field(default_factory=date.today)
    due_date: CalendarDate | None = Field(
        default=None, description="Defaults from payment_terms; not before invoice_date."
    )
    payment_terms: PaymentTerms | None = Field(
        default=None, description="Defaults to the customer's terms, then the tenant's."
    )
    currency_code: CurrencyCode | None = Field(
        default=None, description="Defaults to the customer's currency."
    )
    exchange_rate: ExchangeRate | None = Field(
        default=None,
        description="Base currency per unit of currency_code. A draft keeps only a rate given"
        " here (null otherwise); sending fixes it, from the tenant's rate effective on"
        " invoice_date when none was given.",
    )
    line_items: InvoiceLines = Field(default_factory=list, max_length=500)
    notes: LongText | None = None
    terms: LongText | None = None

    @field_validator("due_date")
    @classmethod
    def _due_not_before_invoice(cls, value: date | None, info: ValidationInfo) -> date | None:
        invoice_date = info.data.get("invoice_date")
        if value is not None and invoice_date is not None and value < invoice_date:
            raise ValueError("must not be before invoice_date")
        return value


class InvoicePatch(BaseModel):
    """Change some fields of a draft; `line_items`, when given, replaces every line."""

    model_config = ConfigDict(extra="forbid")

    customer_id: uuid.UUID | None = None
    invoice_date: CalendarDate | None = None
    due_date: CalendarDate | None = None
    payment_terms: PaymentTerms | None = None
    currency_code: CurrencyCode | None = None
    exchange_rate: ExchangeRate | None = None
    line_items: InvoiceLines | None = Field(default=None, max_length=500)
    notes: LongText | None = None
    terms: LongText | None = None

    @field_validator("due_date")
    @classmethod
    def _due_not_before_invoice(cls, value: date | None, info: ValidationInfo) -> date | None:
        invoice_date = info.data.get("invoice_date")
        if value is not None and invoice_date is not None and value < invoice_date:
            raise ValueError("must not be before invoice_date")
        return value


class InvoiceVoid(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: LongText | None = None


class MarkPaid(BaseModel):
    """Record a receipt for the invoice's whole balance."""

    model_config = ConfigDict(extra="forbid")

    payment_date: CalendarDate = Field(default_factory=date.today)
    payment_method: Annotated[str, StringConstraints(max_length=30)] | None = None
    payment_reference: Annotated[str, StringConstraints(max_length=100)] | None = None
    exchange_rate: ExchangeRate | None = None


class Money(BaseModel):
    currency_code: str

    def _money(self, amount: Decimal | None) -> str | None:
        return money_text(amount, self.currency_code)


class InvoiceLineOut(Money):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    line_number: int
    description: str
    quantity: Decimal
    unit_price: Decimal
    discount_percent: Decimal
    tax_rate: Decimal
    subtotal: Decimal
    discount_amount: Decimal
    tax_amount: Decimal
    total_amount: Decimal
    line_total: Decimal

    @field_serializer("quantity", "discount_percent", "tax_rate")
    def _plain(self, value: Decimal) -> str | None:
        return quantity_text(value)

    @field_serializer("unit_price")
    def _price(self, amount: Decimal) -> str | None:
        return price_text(amount, self.currency_code)

    @field_serializer("subtotal", "discount_amount", "tax_amount", "total_amount", "line_total")
    def _amounts(self, amount: Decimal) -> str | None:
        return self._money(amount)


class CustomerRef(BaseModel):
    id: uuid.UUID
    name: str


class Invoice(Money):
    id: uuid.UUID
    invoice_number: str | None
    customer_id: uuid.UUID
    customer: CustomerRef
    customer_email: str | None
    billing_address: dict[str, Any] | None
    invoice_date: date
    due_date: date
    payment_terms: str | None
    exchange_rate: Decimal | None
    status: InvoiceStatus
    subtotal: Decimal
    discount_amount: Decimal
    tax_amount: Decimal
    total_amount: Decimal
    paid_amount: Decimal
    credited_amount: Decimal
    balance_amount: Decimal
    notes: str | None
    terms: str | None
    origin: str
    order_id: uuid.UUID | None
    quotation_id: uuid.UUID | None
    recurring_invoice_id: uuid.UUID | None
    sent_at: datetime | None
    paid_at: datetime | None
    voided_at: datetime | None
    void_reason: str | None
    line_items: list[InvoiceLineOut]
    created_at: datetime
    updated_at: datetime

    @field_serializer(
        "subtotal",
        "discount_amount",
        "tax_amount",
        "total_amount",
        "paid_amount",
        "credited_amount",
        "balance_amount",
    )
    def _amounts(self, amount: Decimal) -> str | None:
        return self._money(amount)

    @field_serializer("exchange_rate")
    def _rate(self, value: Decimal | None) -> str | None:
        return quantity_text(value)
