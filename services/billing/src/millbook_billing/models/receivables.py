"""Receivables: the customers read model, billing settings, invoices, credit notes,
payments with their allocations, and recurring invoice schedules."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
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
from millbook_platform.db import TenantScoped, utcnow


class BillingCustomer(Base):
    """Sales' customer as billing needs it, kept from `sales.customer.*` events."""

    __tablename__ = "customers"

    tenant_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    customer_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    customer_code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))
    company: Mapped[str | None] = mapped_column(String(200))
    primary_email: Mapped[str | None] = mapped_column(String(320))
    billing_address: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    payment_terms: Mapped[str | None] = mapped_column(String(40))
    currency_code: Mapped[str] = mapped_column(String(3))
    tax_number: Mapped[str | None] = mapped_column(String(50))
    status: Mapped[str] = mapped_column(String(20))  # active | inactive | deleted
    as_of: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class BillingSettings(Base):
    """One row per tenant; absent means the defaults."""

    __tablename__ = "billing_settings"

    tenant_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    invoice_from_order: Mapped[str] = mapped_column(String(10))  # draft | issued
    legal_name: Mapped[str | None] = mapped_column(String(200))
    address: Mapped[str | None] = mapped_column(Text)
    tax_number: Mapped[str | None] = mapped_column(String(50))
    email: Mapped[str | None] = mapped_column(String(320))
    payment_instructions: Mapped[str | None] = mapped_column(Text)
    default_payment_terms: Mapped[str] = mapped_column(String(40))
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )


class _Totals:
    currency_code: Mapped[str] = mapped_column(String(3))
    subtotal: Mapped[Decimal]
    discount_amount: Mapped[Decimal]
    tax_amount: Mapped[Decimal]
    total_amount: Mapped[Decimal]


class _Line:
    line_number: Mapped[int] = mapped_column(Integer)
    description: Mapped[str] = mapped_column(Text)
    quantity: Mapped[Decimal] = mapped_column(Quantity)
    unit_price: Mapped[Decimal]
    discount_percent: Mapped[Decimal] = mapped_column(Rate)
    tax_rate: Mapped[Decimal] = mapped_column(Rate)
    subtotal: Mapped[Decimal]
    discount_amount: Mapped[Decimal]
    tax_amount: Mapped[Decimal]
    total_amount: Mapped[Decimal]


class Invoice(_Totals, TenantScoped, Base):
    __tablename__ = "invoices"
    __table_args__ = (
        UniqueConstraint("tenant_id", "invoice_number", name="uq_invoices_tenant_number"),
        # An order is invoiced once; a schedule makes one invoice per period.
        UniqueConstraint("tenant_id", "order_id", name="uq_invoices_tenant_order"),
        UniqueConstraint(
            "recurring_invoice_id", "period_date", name="uq_invoices_recurring_period"
        ),
        CheckConstraint("paid_amount >= 0 AND credited_amount >= 0", name="settled_not_negative"),
        CheckConstraint("balance_amount >= 0", name="never_overpaid"),
        Index("ix_invoices_tenant_status_due", "tenant_id", "status", "due_date"),
        Index("ix_invoices_tenant_customer", "tenant_id", "customer_id"),
        Index("ix_invoices_tenant_updated", "tenant_id", "updated_at"),
        # the export's order, and date-range filters: the first row without a sort
        Index("ix_invoices_tenant_date", "tenant_id", "invoice_date", "created_at", "id"),
        # the overdue job: past due and its event not yet published
        Index(
            "ix_invoices_overdue_unannounced",
            "due_date",
            postgresql_where=text("status IN ('sent', 'partial') AND overdue_at IS NULL"),
        ),
    )

    invoice_number: Mapped[str | None] = mapped_column(String(30))
    customer_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    customer_name: Mapped[str] = mapped_column(String(200))
    customer_email: Mapped[str | None] = mapped_column(String(320))
    billing_address: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    invoice_date: Mapped[date] = mapped_column(Date)
    due_date: Mapped[date] = mapped_column(Date)
    payment_terms: Mapped[str | None] = mapped_column(String(40))
    exchange_rate: Mapped[Decimal | None] = mapped_column(Rate)
    status: Mapped[str] = mapped_column(String(20))
    paid_amount: Mapped[Decimal]
    credited_amount: Mapped[Decimal]
    balance_amount: Mapped[Decimal]
    notes: Mapped[str | None] = mapped_column(Text)
    terms: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    paid_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    overdue_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    voided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    void_reason: Mapped[str | None] = mapped_column(Text)
    origin: Mapped[str] = mapped_column(String(20))  # manual | order | recurring
    order_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    quotation_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    recurring_invoice_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    period_date: Mapped[date | None] = mapped_column(Date)


class InvoiceLine(_Line, Base):
    __tablename__ = "invoice_lines"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    tenant_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    invoice_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("invoices.id", ondelete="CASCADE"), index=True
    )


class CreditNote(_Totals, TenantScoped, Base):
    __tablename__ = "credit_notes"
    __table_args__ = (
        UniqueConstraint("tenant_id", "credit_note_number", name="uq_credit_notes_tenant_number"),
        CheckConstraint(
            "applied_amount >= 0 AND customer_credit_amount >= 0"
            " AND applied_amount + customer_credit_amount = total_amount",
            name="fully_placed",
        ),
        CheckConstraint(
            "allocated_amount >= 0 AND refunded_amount >= 0"
            " AND allocated_amount + refunded_amount <= customer_credit_amount",
            name="credit_never_overused",
        ),
    )

    credit_note_number: Mapped[str] = mapped_column(String(30))
    invoice_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("invoices.id"), index=True)
    invoice_number: Mapped[str] = mapped_column(String(30))
    customer_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    credit_date: Mapped[date] = mapped_column(Date)
    exchange_rate: Mapped[Decimal | None] = mapped_column(Rate)
    reason: Mapped[str | None] = mapped_column(Text)
    applied_amount: Mapped[Decimal]  # taken off the invoice's balance
    customer_credit_amount: Mapped[Decimal]  # what the paid part became: customer credit
    allocated_amount: Mapped[Decimal]  # of that credit, applied to other invoices since
    refunded_amount: Mapped[Decimal]  # of that credit, paid back


class CreditNoteLine(_Line, Base):
    __tablename__ = "credit_note_lines"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    tenant_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    credit_note_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("credit_notes.id", ondelete="CASCADE"), index=True
    )
    # The invoice line this line credits; none on a credit note by amount.
    invoice_line_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("invoice_lines.id"), index=True
    )


class Payment(TenantScoped, Base):
    """A receipt from a customer, a payment to a supplier, or a refund of customer credit."""

    __tablename__ = "payments"
    __table_args__ = (
        UniqueConstraint("tenant_id", "payment_number", name="uq_payments_tenant_number"),
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint(
            "allocated_amount >= 0 AND refunded_amount >= 0"
            " AND allocated_amount + refunded_amount <= amount",
            name="never_over_allocated",
        ),
        Index("ix_payments_tenant_date", "tenant_id", "payment_date"),
        Index("ix_payments_tenant_customer", "tenant_id", "customer_id"),
    )

    payment_number: Mapped[str] = mapped_column(String(30))
    payment_type: Mapped[str] = mapped_column(String(10))  # receipt | payment | refund
    customer_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    supplier_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    amount: Mapped[Decimal]
    currency_code: Mapped[str] = mapped_column(String(3))
    exchange_rate: Mapped[Decimal | None] = mapped_column(Rate)
    payment_date: Mapped[date] = mapped_column(Date)
    payment_method: Mapped[str | None] = mapped_column(String(30))
    payment_reference: Mapped[str | None] = mapped_column(String(100))
    notes: Mapped[str | None] = mapped_column(Text)
    allocated_amount: Mapped[Decimal]
    refunded_amount: Mapped[Decimal]
    # A refund pays back the credit of a receipt (`refund_of`) or of a credit note.
    refund_of: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("payments.id"))
    refund_of_credit_note: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("credit_notes.id"))


class PaymentAllocation(TenantScoped, Base):
    __tablename__ = "payment_allocations"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("(invoice_id IS NULL) <> (bill_id IS NULL)", name="one_document"),
        CheckConstraint("(payment_id IS NULL) <> (credit_note_id IS NULL)", name="one_source"),
    )

    # Where the money or credit came from: a payment, or a credit note's customer credit.
    payment_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("payments.id", ondelete="CASCADE"), index=True
    )
    credit_note_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("credit_notes.id"), index=True
    )
    invoice_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("invoices.id"), index=True)
    bill_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)  # PAYABLES' bill; no foreign key
    document_number: Mapped[str | None] = mapped_column(String(30))
    amount: Mapped[Decimal]
    allocated_on: Mapped[date] = mapped_column(Date)


class RecurringInvoice(_Totals, TenantScoped, Base):
    """A schedule: its template lines and the date of the next invoice it owes."""

    __tablename__ = "recurring_invoices"
    __table_args__ = (
        CheckConstraint("interval_count >= 1", name="interval_positive"),
        Index("ix_recurring_invoices_status_next", "status", "next_date"),
    )

    customer_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    interval: Mapped[str] = mapped_column(String(10))  # weekly | monthly | quarterly | yearly
    interval_count: Mapped[int] = mapped_column(Integer)
    start_date: Mapped[date] = mapped_column(Date)
    next_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)
    mode: Mapped[str] = mapped_column(String(10))  # draft | issued
    status: Mapped[str] = mapped_column(String(10))  # active | paused | ended
    payment_terms: Mapped[str | None] = mapped_column(String(40))
    exchange_rate: Mapped[Decimal | None] = mapped_column(Rate)
    notes: Mapped[str | None] = mapped_column(Text)
    terms: Mapped[str | None] = mapped_column(Text)
    generated_count: Mapped[int] = mapped_column(Integer, default=0)
    last_generated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class RecurringInvoiceLine(_Line, Base):
    __tablename__ = "recurring_invoice_lines"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    tenant_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    recurring_invoice_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("recurring_invoices.id", ondelete="CASCADE"), index=True
    )
