"""Supplier bill request and response bodies."""

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
    model_validator,
)

from millbook_billing.bills.domain import BillStatus
from millbook_platform.api_types import CalendarDate, CurrencyCode, PaymentTerms, PositiveInt32
from millbook_platform.money import money_text, price_text, quantity_text

LongText = Annotated[str, StringConstraints(max_length=10000)]
Description = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)
]
SupplierBillNumber = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60)
]
Quantity = Annotated[Decimal, Field(gt=0, max_digits=14, decimal_places=4)]
Price = Annotated[Decimal, Field(ge=0, max_digits=16, decimal_places=4)]
ExchangeRate = Annotated[Decimal, Field(gt=0, max_digits=18, decimal_places=8)]
TaxRate = Annotated[Decimal, Field(ge=0, le=1, decimal_places=6)]
TaxAmount = Annotated[Decimal, Field(ge=0, max_digits=16, decimal_places=4)]
ExpenseCategory = Literal["office", "travel", "meals", "software", "marketing", "other"]


class BillLineIn(BaseModel):
    """A line against a PO line (`po_line_number`), or an expense (`expense_category`)."""

    model_config = ConfigDict(extra="forbid")

    description: Description
    quantity: Quantity
    unit_price: Price
    tax_rate: TaxRate = Field(default=Decimal(0), description='A fraction: "0.10" is 10%.')
    tax_amount: TaxAmount | None = Field(
        default=None,
        description=(
            "The line's tax as the supplier's document prints it, instead of net x tax_rate;"
            " it must be within one minor unit per unit billed (plus half a step of the"
            " 6-place rate on the net) of net x tax_rate."
        ),
    )
    po_line_number: PositiveInt32 | None = None
    expense_category: ExpenseCategory | None = Field(
        default=None, description="Required on a line that is not against a PO line."
    )

    @model_validator(mode="after")
    def _po_line_or_expense(self) -> BillLineIn:
        if self.po_line_number is None and self.expense_category is None:
            raise ValueError("a line needs po_line_number or expense_category")
        if self.po_line_number is not None and self.expense_category is not None:
            raise ValueError("a PO line has no expense_category")
        return self


def _due_not_before_bill(value: date | None, info: ValidationInfo) -> date | None:
    bill_date = info.data.get("bill_date")
    if value is not None and bill_date is not None and value < bill_date:
        raise ValueError("must not be before bill_date")
    return value


class BillCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    supplier_id: uuid.UUID
    purchase_order_id: uuid.UUID | None = None
    bill_number: SupplierBillNumber = Field(description="The supplier's own invoice number.")
    bill_date: CalendarDate = Field(default_factory=date.today)
    due_date: CalendarDate | None = Field(
        default=None, description="Defaults from payment_terms; not before bill_date."
    )
    payment_terms: PaymentTerms | None = Field(
        default=None, description="Defaults to the supplier's terms, then Net 30."
    )
    currency_code: CurrencyCode | None = Field(
        default=None, description="Defaults to the purchase order's, then the supplier's."
    )
    exchange_rate: ExchangeRate | None = Field(
        default=None,
        description="Base currency per unit of currency_code; defaults to the tenant's rate"
        " effective on bill_date (a 422 when there is none).",
    )
    line_items: list[BillLineIn] = Field(min_length=1, max_length=500)
    notes: LongText | None = None

    _due = field_validator("due_date")(_due_not_before_bill)


class BillPatch(BaseModel):
    """Change some fields of a draft; `line_items`, when given, replaces every line."""

    model_config = ConfigDict(extra="forbid")

    bill_number: SupplierBillNumber | None = None
    bill_date: CalendarDate | None = None
    due_date: CalendarDate | None = None
    payment_terms: PaymentTerms | None = None
    exchange_rate: ExchangeRate | None = None
    line_items: list[BillLineIn] | None = Field(default=None, min_length=1, max_length=500)
    notes: LongText | None = None

    _due = field_validator("due_date")(_due_not_before_bill)


class BillFromDocument(BaseModel):
    model_config = ConfigDict(extra="forbid")

    supplier_id: uuid.UUID | None = Field(
        default=None, description="Needed when the document's supplier name matches no supplier."
    )
    purchase_order_id: uuid.UUID | None = None
    expense_category: ExpenseCategory = Field(
        default="other", description="The category of the draft's single line."
    )
    exchange_rate: ExchangeRate | None = Field(
        default=None,
        description="Base currency per unit of the document's currency; defaults to the"
        " tenant's rate effective on the bill date.",
    )


class BillApprove(BaseModel):
    model_config = ConfigDict(extra="forbid")

    override_reason: LongText | None = Field(
        default=None, description="Required to approve a bill whose match is not `matched`."
    )


class BillVoid(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: LongText | None = None


class _Priced(BaseModel):
    currency_code: str
    subtotal: Decimal
    tax_amount: Decimal
    total_amount: Decimal

    @field_serializer("subtotal", "tax_amount", "total_amount")
    def _money(self, amount: Decimal) -> str | None:
        return money_text(amount, self.currency_code)


class BillLineView(_Priced):
    id: uuid.UUID
    line_number: int
    po_line_number: int | None
    description: str
    quantity: Decimal
    unit_price: Decimal
    tax_rate: Decimal
    expense_category: str | None

    @field_serializer("quantity", "tax_rate")
    def _plain(self, value: Decimal) -> str | None:
        return quantity_text(value)

    @field_serializer("unit_price")
    def _price(self, amount: Decimal) -> str | None:
        return price_text(amount, self.currency_code)


class Bill(_Priced):
    id: uuid.UUID
    internal_number: str | None = Field(description="BILL-2026-0001, assigned at approval.")
    bill_number: str = Field(description="The supplier's own invoice number.")
    supplier_id: uuid.UUID
    supplier_name: str
    purchase_order_id: uuid.UUID | None
    status: BillStatus
    overdue: bool
    bill_date: date
    due_date: date
    payment_terms: str | None
    exchange_rate: Decimal
    paid_amount: Decimal
    balance_amount: Decimal
    match_status: str | None = Field(description="pending | matched | exception; null without PO.")
    matching_id: uuid.UUID | None
    notes: str | None
    document_id: uuid.UUID | None
    override_reason: str | None
    approved_at: datetime | None
    paid_at: date | None
    voided_at: datetime | None
    void_reason: str | None
    line_items: list[BillLineView]
    created_at: datetime
    updated_at: datetime

    @field_serializer("paid_amount", "balance_amount")
    def _paid(self, amount: Decimal) -> str | None:
        return money_text(amount, self.currency_code)

    @field_serializer("exchange_rate")
    def _rate(self, value: Decimal) -> str | None:
        return quantity_text(value)
