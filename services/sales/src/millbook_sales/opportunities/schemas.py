"""Opportunity request and response bodies."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_serializer

from millbook_platform.api_types import CalendarDate, CurrencyCode, Name
from millbook_platform.money import money_text
from millbook_sales.opportunities.domain import OPEN_STAGES, OpportunityStatus, Stage

Amount = Annotated[Decimal, Field(ge=0, max_digits=16, decimal_places=4)]
Probability = Annotated[Decimal, Field(ge=0, le=1, decimal_places=4)]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]


# The column is varchar(20), as the lead's source it is copied from.
Source = Annotated[str, StringConstraints(strip_whitespace=True, max_length=20)]


class OpportunityCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    opportunity_name: Name
    customer_id: uuid.UUID
    estimated_value: Amount | None = None
    currency_code: CurrencyCode | None = Field(
        default=None, description="Defaults to the customer's currency."
    )
    stage: Stage = Field(default=Stage.QUALIFICATION, description="An open stage.")
    expected_close_date: CalendarDate | None = None
    source: Source | None = None
    assigned_to: uuid.UUID | None = None
    probability: Probability | None = Field(
        default=None, description="A fraction; defaults to the stage's usual odds."
    )


class OpportunityReplace(OpportunityCreate):
    """PUT: every field; a stage change follows the same rules as PATCH."""

    lost_reason: Reason | None = None


class OpportunityUpdate(BaseModel):
    """PATCH: only the fields sent change."""

    model_config = ConfigDict(extra="forbid")

    opportunity_name: Name | None = None
    customer_id: uuid.UUID | None = None
    estimated_value: Amount | None = None
    currency_code: CurrencyCode | None = None
    stage: Stage | None = None
    expected_close_date: CalendarDate | None = None
    source: Source | None = None
    assigned_to: uuid.UUID | None = None
    probability: Probability | None = None
    lost_reason: Reason | None = Field(default=None, description="Required to close lost.")


REQUIRED_FIELDS = frozenset({"opportunity_name", "customer_id", "currency_code", "stage"})


class OpportunityLose(BaseModel):
    model_config = ConfigDict(extra="forbid")

    lost_reason: Reason


class OpportunityReopen(BaseModel):
    model_config = ConfigDict(extra="forbid")

    stage: Stage | None = Field(
        default=None,
        description="An open stage; defaults to the stage it was in when it closed.",
        json_schema_extra={"enum": [s.value for s in OPEN_STAGES]},
    )


class StageStayView(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    stage: Stage
    entered_at: datetime
    left_at: datetime | None
    changed_by: str | None


class Opportunity(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    opportunity_name: str
    customer_id: uuid.UUID
    estimated_value: Decimal | None
    currency_code: str
    stage: Stage
    status: OpportunityStatus
    probability: Decimal | None
    expected_close_date: date | None
    source: str | None
    assigned_to: uuid.UUID | None
    lost_reason: str | None
    lead_id: uuid.UUID | None
    stage_entered_at: datetime | None
    closed_at: datetime | None
    stage_history: list[StageStayView] = []
    created_at: datetime
    updated_at: datetime

    @field_serializer("estimated_value")
    def _money(self, amount: Decimal | None) -> str | None:
        return money_text(amount, self.currency_code)

    @field_serializer("probability")
    def _fraction(self, value: Decimal | None) -> str | None:
        return None if value is None else format(value.normalize(), "f")


class WinFactor(BaseModel):
    name: str
    value: str = Field(description="The opportunity's value of this factor.")
    weight: float = Field(description="Log-odds per standard deviation (regression) or per unit.")
    contribution: float = Field(description="Log-odds this factor adds; negative lowers the odds.")


class WinProbability(BaseModel):
    opportunity_id: uuid.UUID
    probability: float
    win_probability: float = Field(description="The same number, as seed 004 names it.")
    model: str = Field(description="`logistic_regression`, `stage_prior`, or `closed`.")
    sample_size: int = Field(description="Closed opportunities of this tenant the model saw.")
    baseline: float
    factors: list[WinFactor]
    recommendations: list[str]
