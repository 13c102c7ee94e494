"""Payables: read models of purchasing (suppliers, purchase orders, deliveries), supplier
bills with their lines, and the latest three-way matching result per bill.

Read-model rows keep the id purchasing gave them and `as_of`, the time of the fact
they reflect, so an older event arriving late changes nothing.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import Uuid

from millbook_billing.models.base import Base, Quantity, Rate
from millbook_platform.db import TenantScoped


class Supplier(TenantScoped, Base):
    """Purchasing's supplier as billing needs it (name, terms, currency, address)."""

    __tablename__ = "suppliers"
    __table_args__ = (Index("ix_suppliers_tenant_name", "tenant_id", "name"),)

    supplier_code: Mapped[str | None] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320))
    payment_terms: Mapped[str] = mapped_column(String(40))
    currency_code: Mapped[str] = mapped_column(String(3))
    address: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    tax_number: Mapped[str | None] = mapped_column(String(60))
    status: Mapped[str] = mapped_column(String(20))
    as_of: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class PurchaseOrder(TenantScoped, Base):
    __tablename__ = "purchase_orders"
    __table_args__ = (Index("ix_purchase_orders_tenant_supplier", "tenant_id", "supplier_id"),)

    po_number: Mapped[str] = mapped_column(String(30))
    supplier_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    supplier_name: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(30))
    currency_code: Mapped[str] = mapped_column(String(3))
    order_date: Mapped[date] = mapped_column(Date)
    expected_date: Mapped[date | None] = mapped_column(Date)
    payment_terms: Mapped[str | None] = mapped_column(String(40))
    subtotal: Mapped[Decimal]
    tax_amount: Mapped[Decimal]
    total_amount: Mapped[Decimal]
    as_of: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class PurchaseOrderLine(Base):
    __tablename__ = "purchase_order_lines"
    __table_args__ = (
        UniqueConstraint("purchase_order_id", "line_number", name="uq_po_lines_po_line_number"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    tenant_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    purchase_order_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("purchase_orders.id", ondelete="CASCADE")
    )
    line_number: Mapped[int] = mapped_column(Integer)
    material_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    description: Mapped[str] = mapped_column(Text)
    quantity: Mapped[Decimal] = mapped_column(Quantity)
    unit_price: Mapped[Decimal]
    tax_rate: Mapped[Decimal] = mapped_column(Rate)
    subtotal: Mapped[Decimal]
    tax_amount: Mapped[Decimal]
    total_amount: Mapped[Decimal]


class Delivery(TenantScoped, Base):
    """A goods receipt. Kept even when its purchase order has not arrived yet (no FK)."""

    __tablename__ = "deliveries"
    __table_args__ = (Index("ix_deliveries_tenant_po", "tenant_id", "purchase_order_id"),)

    purchase_order_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    delivery_number: Mapped[str | None] = mapped_column(String(40))
    supplier_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    supplier_name: Mapped[str] = mapped_column(String(200))
    currency_code: Mapped[str] = mapped_column(String(3))
    delivery_date: Mapped[date] = mapped_column(Date)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # Set once Inventory / GRNI is posted, which waits for the PO's prices.
    posted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The rate to base the receipt was booked at (1 in the base currency); None until posted.
    booked_rate: Mapped[Decimal | None] = mapped_column(Rate)


class DeliveryLine(Base):
    __tablename__ = "delivery_lines"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    tenant_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    delivery_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("deliveries.id", ondelete="CASCADE"), index=True
    )
    po_line_number: Mapped[int] = mapped_column(Integer)
    material_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    quantity_received: Mapped[Decimal] = mapped_column(Quantity)
    quantity_accepted: Mapped[Decimal] = mapped_column(Quantity)
    quantity_rejected: Mapped[Decimal] = mapped_column(Quantity)
    unit_cost: Mapped[Decimal]
    # What the line credited to GRNI in base when its receipt was posted.
    booked_base: Mapped[Decimal | None]


class Bill(TenantScoped, Base):
    """A supplier's bill: draft, then open (approved, posted to AP), partial, paid; or voided."""

    __tablename__ = "bills"
    __table_args__ = (
        UniqueConstraint("tenant_id", "internal_number", name="uq_bills_tenant_internal_number"),
        # A supplier's invoice number is entered once, whatever its case (a voided entry
        # frees it again).
        Index(
            "uq_bills_supplier_bill_number",
            "tenant_id",
            "supplier_id",
            text("lower(bill_number)"),
            unique=True,
            postgresql_where=text("status <> 'voided'"),
        ),
        Index("ix_bills_tenant_status_due", "tenant_id", "status", "due_date"),
        Index("ix_bills_tenant_po", "tenant_id", "purchase_order_id"),
        CheckConstraint("due_date >= bill_date", name="due_not_before_bill_date"),
        CheckConstraint(
            "paid_amount >= 0 AND paid_amount <= total_amount", name="paid_within_total"
        ),
        CheckConstraint("balance_amount = total_amount - paid_amount", name="balance_is_open"),
        CheckConstraint("exchange_rate > 0", name="exchange_rate_positive"),
    )

    internal_number: Mapped[str | None] = mapped_column(String(30))
    bill_number: Mapped[str] = mapped_column(String(60))
    supplier_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    supplier_name: Mapped[str] = mapped_column(String(200))
    purchase_order_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    status: Mapped[str] = mapped_column(String(20))
    bill_date: Mapped[date] = mapped_column(Date)
    due_date: Mapped[date] = mapped_column(Date)
    payment_terms: Mapped[str | None] = mapped_column(String(40))
    currency_code: Mapped[str] = mapped_column(String(3))
    exchange_rate: Mapped[Decimal] = mapped_column(Rate)
    base_currency: Mapped[str] = mapped_column(String(3))
    subtotal: Mapped[Decimal]
    tax_amount: Mapped[Decimal]
    total_amount: Mapped[Decimal]
    paid_amount: Mapped[Decimal]
    balance_amount: Mapped[Decimal]
    notes: Mapped[str | None] = mapped_column(Text)
    document_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    override_reason: Mapped[str | None] = mapped_column(Text)
    approved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    paid_at: Mapped[date | None] = mapped_column(Date)
    voided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    void_reason: Mapped[str | None] = mapped_column(Text)


class BillLine(Base):
    __tablename__ = "bill_lines"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    tenant_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    bill_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("bills.id", ondelete="CASCADE"), index=True
    )
    line_number: Mapped[int] = mapped_column(Integer)
    po_line_number: Mapped[int | None] = mapped_column(Integer)
    description: Mapped[str] = mapped_column(Text)
    quantity: Mapped[Decimal] = mapped_column(Quantity)
    unit_price: Mapped[Decimal]
    tax_rate: Mapped[Decimal] = mapped_column(Rate)
    expense_category: Mapped[str | None] = mapped_column(String(20))
    subtotal: Mapped[Decimal]
    tax_amount: Mapped[Decimal]
    total_amount: Mapped[Decimal]
    # What the line debited to GRNI in base when its bill was approved (goods lines only).
    grni_base: Mapped[Decimal | None]


class MatchingResult(TenantScoped, Base):
    """The latest three-way match of one bill, recomputed whenever one of the three changes."""

    __tablename__ = "matching_results"
    __table_args__ = (
        UniqueConstraint("bill_id", name="uq_matching_results_bill_id"),
        Index("ix_matching_results_tenant_status", "tenant_id", "status"),
    )

    bill_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("bills.id", ondelete="CASCADE"))
    purchase_order_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    status: Mapped[str] = mapped_column(String(20))  # pending | matched | exception
    price_tolerance: Mapped[Decimal] = mapped_column(Rate)
    quantity_tolerance: Mapped[Decimal] = mapped_column(Rate)
    # True when a user matched with their own tolerances: later rematches keep them
    # instead of the tenant's defaults.
    tolerance_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    lines: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    variances: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    matched_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class MatchingSettings(Base):
    """A tenant's default matching tolerances (fractions); absent means 2% price, 0 quantity."""

    __tablename__ = "matching_settings"
    __table_args__ = (
        CheckConstraint(
            "price_tolerance >= 0 AND quantity_tolerance >= 0", name="tolerances_not_negative"
        ),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    price_tolerance: Mapped[Decimal] = mapped_column(Rate)
    quantity_tolerance: Mapped[Decimal] = mapped_column(Rate)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
