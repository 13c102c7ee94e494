"""Matching request and response bodies."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_serializer

from millbook_platform.money import quantity_text

Tolerance = Annotated[Decimal, Field(ge=0, le=1, decimal_places=6)]


class MatchRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    bill_id: uuid.UUID
    match_type: Literal["three_way"] = "three_way"
    tolerance_threshold: Tolerance | None = Field(
        default=None,
        description='Price tolerance as a fraction ("0.02" is 2%); kept for later rematches.',
    )
    quantity_tolerance: Tolerance | None = Field(
        default=None, description="Quantity tolerance as a fraction; 0 by default."
    )


class LineComparison(BaseModel):
    po_line_number: int
    ordered_quantity: str
    po_unit_price: str
    received_quantity: str
    previously_billed_quantity: str
    billed_quantity: str
    ordered_amount: str
    received_amount: str
    billed_amount: str


class Variance(BaseModel):
    kind: str = Field(
        description="price_variance | quantity_variance | unbilled_receipt | not_received | "
        "line_not_on_po | currency_mismatch"
    )
    po_line_number: int | None
    bill_line_number: int | None
    expected: str | None
    actual: str | None
    amount: str
    variance_percent: str | None
    blocking: bool


class Matching(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    bill_id: uuid.UUID
    purchase_order_id: uuid.UUID
    match_type: Literal["three_way"] = "three_way"
    result: str = Field(description="matched | exception | pending (purchase order not known yet)")
    tolerance_threshold: Decimal
    quantity_tolerance: Decimal
    lines: list[LineComparison]
    variances: list[Variance]
    matched_at: datetime

    @field_serializer("tolerance_threshold", "quantity_tolerance")
    def _plain(self, value: Decimal) -> str | None:
        return quantity_text(value)


class MatchingDefaults(BaseModel):
    """The tenant's default tolerances, used unless a match request names its own."""

    model_config = ConfigDict(extra="forbid")

    tolerance_threshold: Tolerance = Field(
        description='Price tolerance as a fraction ("0.02" is 2%).'
    )
    quantity_tolerance: Tolerance = Field(
        default=Decimal(0), description="Quantity tolerance as a fraction."
    )

    @field_serializer("tolerance_threshold", "quantity_tolerance")
    def _plain(self, value: Decimal) -> str | None:
        return quantity_text(value)
