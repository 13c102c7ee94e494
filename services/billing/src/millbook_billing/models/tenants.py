"""Billing's read model of identity's organizations (name and base currency per tenant),
and each tenant's exchange rates to its base currency."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, Date, DateTime, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import Uuid

from millbook_billing.models.base import Base, Rate
from millbook_platform.db import TenantScoped, utcnow


class Organization(Base):
    """One tenant as identity last described it; `as_of` orders late or replayed events."""

    __tablename__ = "organizations"

    tenant_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    base_currency: Mapped[str] = mapped_column(String(3))
    as_of: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )


class ExchangeRate(TenantScoped, Base):
    """Units of the tenant's base currency per unit of `currency_code`, from `effective_date`
    until the currency's next rate."""

    __tablename__ = "exchange_rates"
    __table_args__ = (
        UniqueConstraint(
            "tenant_id", "currency_code", "effective_date", name="uq_exchange_rates_tenant_day"
        ),
        CheckConstraint("rate > 0", name="rate_positive"),
    )

    currency_code: Mapped[str] = mapped_column(String(3))
    effective_date: Mapped[date] = mapped_column(Date)
    rate: Mapped[Decimal] = mapped_column(Rate)
