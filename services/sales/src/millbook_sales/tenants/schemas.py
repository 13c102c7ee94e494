"""Sales settings request and response bodies."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from millbook_platform.api_types import CurrencyCode


class SalesSettingsUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    accepted_currencies: list[CurrencyCode] = Field(
        min_length=1,
        max_length=50,
        description="ISO 4217 codes customers and quotations may use; the base is always one.",
    )


class SalesSettingsView(BaseModel):
    organization_name: str | None = Field(description="Null until identity has announced it.")
    base_currency: str = Field(description="New customers and quotations default to it.")
    accepted_currencies: list[str] | None = Field(
        description="Base first. Null: any currency (no organization known yet)."
    )
    updated_at: datetime | None
