"""Billing settings bodies."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from millbook_platform.api_types import Email, PaymentTerms

LongText = Annotated[str, StringConstraints(max_length=2000)]
InvoiceFromOrder = Literal["draft", "issued"]


class BillingSettingsIn(BaseModel):
    """The full settings; a PUT replaces every field (omitted ones take their defaults)."""

    model_config = ConfigDict(extra="forbid")

    invoice_from_order: InvoiceFromOrder = Field(
        default="draft", description="A completed order becomes a draft or an issued invoice."
    )
    legal_name: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] | None = (
        None
    )
    address: LongText | None = None
    tax_number: Annotated[str, StringConstraints(strip_whitespace=True, max_length=50)] | None = (
        None
    )
    email: Email | None = None
    payment_instructions: LongText | None = None
    default_payment_terms: PaymentTerms = "Net 30"


class BillingSettingsOut(BillingSettingsIn):
    model_config = ConfigDict(from_attributes=True)

    updated_at: datetime | None = None
