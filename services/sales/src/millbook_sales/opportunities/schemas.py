"""Opportunity response body (creation comes with lead conversion for now)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, field_serializer

from millbook_platform.money import money_text


class Opportunity(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    opportunity_name: str
    customer_id: uuid.UUID
    estimated_value: Decimal | None
    currency_code: str
    stage: str
    status: str
    expected_close_date: date | None
    source: str | None
    assigned_to: uuid.UUID | None
    lead_id: uuid.UUID | None
    created_at: datetime
    updated_at: datetime

    @field_serializer("estimated_value")
    def _money(self, amount: Decimal | None) -> str | None:
        return money_text(amount, self.currency_code)
