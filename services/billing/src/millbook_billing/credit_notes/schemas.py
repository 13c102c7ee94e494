"""Credit note request and response bodies."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_serializer

from millbook_billing.invoices.schemas import Description, InvoiceLineOut, Quantity
from millbook_platform.api_types import CalendarDate
from millbook_platform.money import money_text

Amount = Annotated[Decimal, Field(gt=0, max_digits=16, decimal_places=4)]


class CreditLineIn(BaseModel):
    """Part or all of one invoice line, credited at the line's own price, discount and tax."""

    model_config = ConfigDict(extra="forbid")

    invoice_line_id: uuid.UUID = Field(description="The line of the credited invoice.")
    quantity: Quantity | None = Field(
        default=None, description="Defaults to all of the line that is left to credit."
    )
    description: Description | None = Field(
        default=None, description="Defaults to the invoice line's description."
    )


class CreditNoteCreate(BaseModel):
    """Credit part or all of an issued invoice: give `line_items`, an `amount`, or `full`."""

    model_config = ConfigDict(extra="forbid")

    invoice_id: uuid.UUID
    credit_date: CalendarDate = Field(default_factory=date.today)
    reason: Annotated[str, StringConstraints(max_length=2000)] | None = None
    line_items: list[CreditLineIn] | None = Field(
        default=None,
        min_length=1,
        max_length=500,
        description="Invoice lines to credit; no line is credited beyond what it has left.",
    )
    amount: Amount | None = Field(
        default=None, description="A gross amount; net and tax follow the invoice's proportion."
    )
    full: bool = Field(default=False, description="Credit all that is left of the invoice.")


class CreditNoteLineOut(InvoiceLineOut):
    invoice_line_id: uuid.UUID | None = Field(
        default=None, description="The invoice line credited; none on a credit by amount."
    )


class CreditNote(BaseModel):
    id: uuid.UUID
    credit_note_number: str
    invoice_id: uuid.UUID
    invoice_number: str
    customer_id: uuid.UUID
    credit_date: date
    currency_code: str
    reason: str | None
    subtotal: Decimal
    discount_amount: Decimal
    tax_amount: Decimal
    total_amount: Decimal
    applied_amount: Decimal
    customer_credit_amount: Decimal
    allocated_amount: Decimal
    refunded_amount: Decimal
    available_credit: Decimal
    line_items: list[CreditNoteLineOut]
    created_at: datetime

    @field_serializer(
        "subtotal",
        "discount_amount",
        "tax_amount",
        "total_amount",
        "applied_amount",
        "customer_credit_amount",
        "allocated_amount",
        "refunded_amount",
        "available_credit",
    )
    def _amounts(self, amount: Decimal) -> str | None:
        return money_text(amount, self.currency_code)
