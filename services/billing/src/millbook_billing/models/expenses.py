"""Expenses, their attachments (file bytes kept in PostgreSQL) and OCR documents."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, deferred, mapped_column

from millbook_billing.models.base import Base, Rate
from millbook_platform.db import TenantScoped


class Attachment(TenantScoped, Base):
    """An uploaded file. `content` is deferred: lists and links never load the bytes."""

    __tablename__ = "attachments"
    __table_args__ = (
        CheckConstraint("size_bytes >= 0", name="size_not_negative"),
        Index("ix_attachments_tenant_expense", "tenant_id", "expense_id"),
        Index("ix_attachments_tenant_purpose_created", "tenant_id", "purpose", "created_at"),
    )

    # What the file was uploaded for (`expense`, `document`, ...): each API lists its own.
    purpose: Mapped[str] = mapped_column(String(20))
    filename: Mapped[str] = mapped_column(String(255))
    media_type: Mapped[str] = mapped_column(String(50))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = deferred(mapped_column(LargeBinary, nullable=False))
    expense_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("expenses.id", ondelete="CASCADE")
    )


class Expense(TenantScoped, Base):
    __tablename__ = "expenses"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("tax_amount >= 0 AND tax_amount <= amount", name="tax_within_amount"),
        Index("ix_expenses_tenant_date", "tenant_id", "expense_date"),
        Index("ix_expenses_tenant_customer", "tenant_id", "customer_id"),
    )

    description: Mapped[str] = mapped_column(String(500))
    amount: Mapped[Decimal]
    tax_amount: Mapped[Decimal]
    currency_code: Mapped[str] = mapped_column(String(3))
    # To the tenant's base currency; needed to approve an expense in another currency.
    exchange_rate: Mapped[Decimal | None] = mapped_column(Rate)
    category: Mapped[str] = mapped_column(String(20))
    expense_date: Mapped[date] = mapped_column(Date)
    receipt_number: Mapped[str | None] = mapped_column(String(100))
    vendor: Mapped[str | None] = mapped_column(String(200))
    is_billable: Mapped[bool] = mapped_column(Boolean)
    customer_id: Mapped[uuid.UUID | None]
    status: Mapped[str] = mapped_column(String(20))
    rejection_reason: Mapped[str | None] = mapped_column(String(500))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decided_by: Mapped[str | None] = mapped_column(String(200))
    recorded_by: Mapped[str | None] = mapped_column(String(200))
    # Set once, when a billable expense is pulled onto a customer's draft invoice.
    invoiced_invoice_id: Mapped[uuid.UUID | None]
    invoiced_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Document(TenantScoped, Base):
    """An uploaded supplier invoice or receipt and what was read from it."""

    __tablename__ = "documents"
    __table_args__ = (
        # The processing job claims the oldest `processing` rows across tenants.
        Index("ix_documents_status_created", "status", "created_at"),
    )

    attachment_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("attachments.id"))
    document_type: Mapped[str] = mapped_column(String(30))
    file_name: Mapped[str] = mapped_column(String(255))
    reference_id: Mapped[uuid.UUID | None]
    status: Mapped[str] = mapped_column(String(20))
    error: Mapped[str | None] = mapped_column(String(1000))
    extraction_method: Mapped[str | None] = mapped_column(String(20))
    extracted: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    text: Mapped[str | None] = deferred(mapped_column(Text))
    # Reading runs outside any transaction: a worker leases the document until
    # `claimed_until`; a worker that died is replaced once the lease has passed.
    attempts: Mapped[int] = mapped_column(default=0)
    claimed_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    processed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
