"""Pricing request and response bodies: settings, calculation input and seed 004's breakdown."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from millbook_platform.api_types import CurrencyCode, Name, PositiveInt32
from millbook_sales.pricing.domain import EstimateSource, MaterialUnit

Rate = Annotated[Decimal, Field(ge=0, max_digits=16, decimal_places=4)]
Percent = Annotated[Decimal, Field(ge=0, le=1000, decimal_places=4)]
Margin = Annotated[Decimal, Field(ge=0, lt=100, decimal_places=4)]
Positive = Annotated[Decimal, Field(gt=0, max_digits=14, decimal_places=4)]
Key = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50)]
# An estimate keeps the complexity in a varchar(30) column.
ComplexityKey = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=30)
]


class ComplexityLevel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    hours_per_unit: Rate = Field(description="Machining hours per part at this level.")
    multiplier: Rate = Field(description="Scales the machine hourly rate at this level.")


class MaterialPriceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    price: Rate
    unit: MaterialUnit = MaterialUnit.KG
    density_g_cm3: Positive | None = Field(
        default=None, description="Lets a per-kg price be used with `dimensions_mm`."
    )


class PricingSettingsIn(BaseModel):
    """The tenant's whole rate card (PUT replaces it)."""

    model_config = ConfigDict(extra="forbid")

    currency_code: CurrencyCode = "USD"
    machine_hourly_rate: Rate
    labor_hourly_rate: Rate
    overhead_percent: Percent = Field(description="Of the conversion cost (machine + labor).")
    default_margin_percent: Margin
    complexity: dict[ComplexityKey, ComplexityLevel] = Field(
        description="`simple`, `medium`, `complex`, `very_complex`: all four."
    )
    materials: dict[Key, MaterialPriceIn] = Field(max_length=500)


class PricingSettings(PricingSettingsIn):
    is_default: bool = Field(description="True while the tenant has never saved its own rates.")
    updated_at: datetime | None = None
    updated_by: str | None = None


class Dimensions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    length: Positive
    width: Positive
    height: Positive


class Specifications(BaseModel):
    """Free-form part specifications; `weight_kg` or `dimensions_mm` price per-kg materials."""

    model_config = ConfigDict(extra="allow")

    weight_kg: Positive | None = Field(default=None, description="Stock weight of one part.")
    dimensions_mm: Dimensions | None = Field(default=None, description="Stock block of one part.")


class PricingLineIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    product_name: Name | None = None
    line_number: PositiveInt32 | None = Field(
        default=None,
        description="The quotation line to write (calculate-pricing with apply); "
        "defaults to the item's position.",
    )
    machining_complexity: ComplexityKey
    material_type: Key
    quantity: Positive
    specifications: Specifications = Field(default_factory=Specifications)


class PricingRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    line_items: list[PricingLineIn] = Field(min_length=1, max_length=100)
    desired_margin_percent: Margin | None = Field(
        default=None, description="Defaults to the tenant's default margin."
    )


class QuotationPricingRequest(PricingRequest):
    apply: bool = Field(
        default=False,
        description="Write the unit prices, hours and material costs into the draft's lines.",
    )


class LineBreakdown(BaseModel):
    line_item_index: int
    line_number: int | None
    product_name: str | None
    material_type: str
    machining_complexity: str
    quantity: Decimal
    material_cost: Decimal
    machining_time_hours: Decimal
    machine_cost: Decimal
    labor_cost: Decimal
    overhead: Decimal
    total_cost: Decimal
    suggested_price: Decimal = Field(description="The line's price: total cost / (1 - margin).")
    unit_price: Decimal = Field(description="Suggested price / quantity, rounded up.")
    line_amount: Decimal = Field(description="unit_price x quantity.")
    margin_percent: Decimal
    confidence_score: Decimal = Field(description="0-1: history size and spread, or 0.40 by table.")
    estimate_source: EstimateSource
    history_sample_size: int


class PricingResult(BaseModel):
    quotation_id: uuid.UUID | None = None
    currency_code: str
    pricing_breakdown: list[LineBreakdown]
    total_cost: Decimal
    total_amount: Decimal = Field(description="Sum of the lines' amounts before discount and tax.")
    applied: bool = False
