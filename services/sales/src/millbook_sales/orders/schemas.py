"""Order request and response bodies."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from millbook_platform.api_types import CalendarDate
from millbook_sales.orders.domain import OrderStatus
from millbook_sales.quotations.schemas import LineItem, _Priced


class OrderCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    quotation_id: uuid.UUID
    order_date: CalendarDate = Field(default_factory=date.today)
    required_date: CalendarDate | None = None

    @field_validator("required_date")
    @classmethod
    def _not_before_order_date(cls, value: date | None, info: ValidationInfo) -> date | None:
        ordered = info.data.get("order_date")
        if value is not None and ordered is not None and value < ordered:
            raise ValueError("must not be before order_date")
        return value


class OrderCancel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str | None = Field(default=None, max_length=5000)


class Order(_Priced):
    id: uuid.UUID
    order_number: str
    quotation_id: uuid.UUID
    customer_id: uuid.UUID
    order_date: date
    required_date: date | None
    status: OrderStatus
    payment_terms: str | None
    production_started_at: datetime | None
    shipped_at: datetime | None
    completed_at: datetime | None
    cancelled_at: datetime | None
    cancellation_reason: str | None
    line_items: list[LineItem]
    created_at: datetime
    updated_at: datetime
