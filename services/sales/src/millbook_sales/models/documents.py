"""Quotations and orders with their lines."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Date, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import Uuid

from millbook_platform.db import TenantScoped
from millbook_sales.models.base import Base, Quantity, Rate


class _Totals:
    currency_code: Mapped[str] = mapped_column(String(3))
    subtotal: Mapped[Decimal]
    discount_amount: Mapped[Decimal]
    tax_amount: Mapped[Decimal]
    total_amount: Mapped[Decimal]


class _Line:
    line_number: Mapped[int] = mapped_column(Integer)
    product_name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    quantity: Mapped[Decimal] = mapped_column(Quantity)
    unit_price: Mapped[Decimal]
    discount_percent: Mapped[Decimal] = mapped_column(Rate)
    tax_rate: Mapped[Decimal] = mapped_column(Rate)
    estimated_hours: Mapped[Decimal | None] = mapped_column(Quantity)
    material_cost: Mapped[Decimal | None]
    subtotal: Mapped[Decimal]
    discount_amount: Mapped[Decimal]
    tax_amount: Mapped[Decimal]
    total_amount: Mapped[Decimal]


class Quotation(_Totals, TenantScoped, Base):
    __tablename__ = "quotations"
    __table_args__ = (
        UniqueConstraint("tenant_id", "quote_number", name="uq_quotations_tenant_number"),
    )

    quote_number: Mapped[str | None] = mapped_column(String(30))
    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id"), index=True)
    quotation_date: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), index=True)
    terms: Mapped[str | None] = mapped_column(Text)
    notes: Mapped[str | None] = mapped_column(Text)
    payment_terms: Mapped[str | None] = mapped_column(String(40))
    lead_time_days: Mapped[int | None] = mapped_column(Integer)
    duplicated_from: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    accepted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    rejected_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    rejection_reason: Mapped[str | None] = mapped_column(Text)
    expired_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class QuotationLine(_Line, Base):
    __tablename__ = "quotation_lines"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    tenant_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    quotation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("quotations.id", ondelete="CASCADE"), index=True
    )


class Order(_Totals, TenantScoped, Base):
    __tablename__ = "orders"
    __table_args__ = (
        UniqueConstraint("tenant_id", "order_number", name="uq_orders_tenant_number"),
        UniqueConstraint("quotation_id", name="uq_orders_quotation_id"),
    )

    order_number: Mapped[str] = mapped_column(String(30))
    quotation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("quotations.id"))
    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id"), index=True)
    order_date: Mapped[date] = mapped_column(Date)
    required_date: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), index=True)
    payment_terms: Mapped[str | None] = mapped_column(String(40))
    production_started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    shipped_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    cancellation_reason: Mapped[str | None] = mapped_column(Text)


class OrderLine(_Line, Base):
    __tablename__ = "order_lines"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    tenant_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    order_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("orders.id", ondelete="CASCADE"), index=True
    )
