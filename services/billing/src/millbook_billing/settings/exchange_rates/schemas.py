"""Exchange rate bodies."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_serializer

from millbook_platform.money import quantity_text

Rate = Annotated[Decimal, Field(gt=0, max_digits=18, decimal_places=8)]


class ExchangeRateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rate: Rate = Field(
        description='Units of the base currency per unit of the currency, e.g. "1.0825".'
    )


class ExchangeRate(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    currency_code: str
    effective_date: date
    rate: Decimal
    base_currency: str
    created_at: datetime
    updated_at: datetime

    @field_serializer("rate")
    def _rate(self, value: Decimal) -> str | None:
        return quantity_text(value)


class ExchangeRateSet(ExchangeRate):
    receipts_posted: int = Field(
        description="Goods receipts that were waiting for a rate and posted at this one."
    )
