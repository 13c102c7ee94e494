"""Expense and attachment request and response bodies."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, StringConstraints, field_serializer

from millbook_billing.expenses.domain import ExpenseCategory, ExpenseStatus
from millbook_platform.api_types import CalendarDate, CurrencyCode
from millbook_platform.money import money_text, quantity_text

Amount = Annotated[Decimal, Field(max_digits=16, decimal_places=4, allow_inf_nan=False)]
ExchangeRate = Annotated[Decimal, Field(gt=0, max_digits=18, decimal_places=8)]
Description = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
Text100 = Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)]
Text200 = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]


class ExpenseCreate(BaseModel):
    """A new expense; `amount` is what was paid, tax included, `tax_amount` the part of it
    that is reclaimable tax. Also the full replacement a PUT sends."""

    model_config = ConfigDict(extra="forbid")

    description: Description
    amount: Amount
    tax_amount: Amount = Decimal(0)
    currency_code: CurrencyCode = "USD"
    exchange_rate: ExchangeRate | None = Field(
        default=None,
        description="Base-currency units per unit of `currency_code`; when omitted, approving"
        " fixes the tenant's rate effective on expense_date.",
    )
    category: ExpenseCategory = ExpenseCategory.OTHER
    expense_date: CalendarDate
    receipt_number: Text100 | None = None
    vendor: Text200 | None = None
    is_billable: bool = False
    customer_id: uuid.UUID | None = Field(
        default=None, description="Required when `is_billable`; the customer to bill it to."
    )
    attachment_ids: list[uuid.UUID] = Field(
        default_factory=list,
        max_length=20,
        description="Files uploaded to `/v1/expenses/attachments` to link to this expense.",
    )


class ExpenseUpdate(BaseModel):
    """A partial change of a pending expense: only the fields sent change."""

    model_config = ConfigDict(extra="forbid")

    description: Description | None = None
    amount: Amount | None = None
    tax_amount: Amount | None = None
    currency_code: CurrencyCode | None = None
    exchange_rate: ExchangeRate | None = None
    category: ExpenseCategory | None = None
    expense_date: CalendarDate | None = None
    receipt_number: Text100 | None = None
    vendor: Text200 | None = None
    is_billable: bool | None = None
    customer_id: uuid.UUID | None = None
    attachment_ids: list[uuid.UUID] | None = Field(default=None, max_length=20)


# Fields a PATCH may not set to null.
REQUIRED_FIELDS = frozenset(
    {
        "description",
        "amount",
        "tax_amount",
        "currency_code",
        "category",
        "expense_date",
        "is_billable",
        "attachment_ids",
    }
)


class ExpenseRejection(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Reason


class BillableExpensesRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    expense_ids: list[uuid.UUID] = Field(min_length=1, max_length=100)


class AttachmentOut(BaseModel):
    """A stored file's details; `GET /v1/expenses/attachments/{id}` downloads its bytes."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    filename: str
    media_type: str
    size: int = Field(validation_alias=AliasChoices("size", "size_bytes"))
    sha256: str
    expense_id: uuid.UUID | None
    uploaded_at: datetime = Field(validation_alias=AliasChoices("uploaded_at", "created_at"))


class Expense(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    description: str
    amount: Decimal
    tax_amount: Decimal
    currency_code: str
    exchange_rate: Decimal | None
    category: ExpenseCategory
    expense_date: date
    receipt_number: str | None
    vendor: str | None
    is_billable: bool
    customer_id: uuid.UUID | None
    status: ExpenseStatus
    rejection_reason: str | None
    decided_at: datetime | None
    decided_by: str | None
    invoiced_invoice_id: uuid.UUID | None
    invoiced_at: datetime | None
    attachments: list[AttachmentOut] = []
    created_at: datetime
    updated_at: datetime

    @field_serializer("amount", "tax_amount")
    def _money(self, amount: Decimal) -> str | None:
        return money_text(amount, self.currency_code)

    @field_serializer("exchange_rate")
    def _rate(self, rate: Decimal | None) -> str | None:
        return quantity_text(rate)


class BilledExpenses(BaseModel):
    """The draft invoice the expenses were added to, and the expenses, now invoiced."""

    invoice_id: uuid.UUID
    expenses: list[Expense]
