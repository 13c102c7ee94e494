"""Lead request and response bodies."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_serializer,
    field_validator,
)

from millbook_platform.api_types import CalendarDate, CurrencyCode, Email, Name, Text50
from millbook_platform.money import money_text
from millbook_sales.leads.domain import LeadSource, LeadStatus

Amount = Annotated[Decimal, Field(ge=0, max_digits=16, decimal_places=4)]
Notes = Annotated[str, StringConstraints(max_length=5000)]


class LeadCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name
    company: Name | None = None
    email: Email | None = None
    phone: Text50 | None = None
    source: LeadSource = LeadSource.OTHER
    status: LeadStatus = LeadStatus.NEW
    estimated_value: Amount | None = None
    currency_code: CurrencyCode | None = Field(
        default=None, description="Omitted: the organization's base currency."
    )
    assigned_to: uuid.UUID | None = Field(
        default=None, description="Omitted: the next sales user, round-robin."
    )
    notes: Notes | None = None

    @field_validator("status")
    @classmethod
    def _not_born_converted(cls, value: LeadStatus) -> LeadStatus:
        # Converted means it has its customer, contact and opportunity: only /convert does that.
        if value == LeadStatus.CONVERTED:
            raise ValueError("a lead becomes converted only through POST /v1/leads/{id}/convert")
        return value


class LeadUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    company: Name | None = None
    email: Email | None = None
    phone: Text50 | None = None
    source: LeadSource | None = None
    status: LeadStatus | None = None
    estimated_value: Amount | None = None
    assigned_to: uuid.UUID | None = None
    notes: Notes | None = None


REQUIRED_FIELDS = frozenset({"name", "source", "status"})


class LeadConvert(BaseModel):
    model_config = ConfigDict(extra="forbid")

    opportunity_name: Name | None = None
    expected_close_date: CalendarDate | None = None


class Lead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    company: str | None
    email: str | None
    phone: str | None
    source: LeadSource
    status: LeadStatus
    estimated_value: Decimal | None
    currency_code: str
    assigned_to: uuid.UUID | None
    notes: str | None
    customer_id: uuid.UUID | None
    contact_id: uuid.UUID | None
    opportunity_id: uuid.UUID | None
    converted_at: datetime | None
    created_at: datetime
    updated_at: datetime

    @field_serializer("estimated_value")
    def _money(self, amount: Decimal | None) -> str | None:
        return money_text(amount, self.currency_code)


class Conversion(BaseModel):
    lead_id: uuid.UUID
    customer_id: uuid.UUID
    contact_id: uuid.UUID
    opportunity_id: uuid.UUID
