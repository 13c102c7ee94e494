"""Pricing settings, the estimates applied to quotations, and opportunities' stage history."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import Uuid

from millbook_platform.db import TenantScoped
from millbook_sales.models.base import Base, Quantity, Rate


class PricingSettings(TenantScoped, Base):
    """One row per tenant; a tenant without one prices with the defaults in `pricing.domain`."""

    __tablename__ = "pricing_settings"
    __table_args__ = (Index("uq_pricing_settings_tenant", "tenant_id", unique=True),)

    currency_code: Mapped[str] = mapped_column(String(3))
    machine_hourly_rate: Mapped[Decimal]
    labor_hourly_rate: Mapped[Decimal]
    overhead_percent: Mapped[Decimal] = mapped_column(Rate)
    default_margin_percent: Mapped[Decimal] = mapped_column(Rate)
    # {"medium": {"hours_per_unit": "0.25", "multiplier": "1.15"}, ...}
    complexity: Mapped[dict[str, Any]] = mapped_column(JSONB)
    # {"aluminum": {"price": "6.50", "unit": "kg", "density_g_cm3": "2.70"}, ...}
    materials: Mapped[dict[str, Any]] = mapped_column(JSONB)
    updated_by: Mapped[str | None] = mapped_column(String(100))


class PricingEstimate(TenantScoped, Base):
    """A calculation written into a quotation line; once the quotation is accepted it is history.

    There is at most one per quotation line: pricing a line again replaces its estimate.
    """

    __tablename__ = "pricing_estimates"
    __table_args__ = (
        Index("ix_pricing_estimates_similar", "tenant_id", "material_type", "machining_complexity"),
        Index("uq_pricing_estimates_line", "tenant_id", "quotation_id", "line_number", unique=True),
    )

    quotation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("quotations.id", ondelete="CASCADE"))
    line_number: Mapped[int] = mapped_column(Integer)
    material_type: Mapped[str] = mapped_column(String(50))
    machining_complexity: Mapped[str] = mapped_column(String(30))
    quantity: Mapped[Decimal] = mapped_column(Quantity)
    machining_hours: Mapped[Decimal] = mapped_column(Quantity)
    estimate_source: Mapped[str] = mapped_column(String(20))
    unit_price: Mapped[Decimal]
    currency_code: Mapped[str] = mapped_column(String(3))


class OpportunityStageChange(Base):
    """One stay of an opportunity in a stage: entered, left (null while it is there), by whom."""

    __tablename__ = "opportunity_stage_changes"
    __table_args__ = (
        Index("ix_opportunity_stage_changes_opportunity", "tenant_id", "opportunity_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    tenant_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    opportunity_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("opportunities.id", ondelete="CASCADE")
    )
    stage: Mapped[str] = mapped_column(String(30))
    from_stage: Mapped[str | None] = mapped_column(String(30))
    entered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    left_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    changed_by: Mapped[str | None] = mapped_column(String(100))
    note: Mapped[str | None] = mapped_column(Text)
