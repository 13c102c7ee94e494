"""Customers, their contacts, leads, opportunities and tasks."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Date,
    DateTime,
    ForeignKey,
    Index,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import Uuid

from millbook_platform.db import TenantScoped
from millbook_sales.models.base import Base


class Customer(TenantScoped, Base):
    __tablename__ = "customers"
    __table_args__ = (
        UniqueConstraint("tenant_id", "customer_code", name="uq_customers_tenant_code"),
        Index("ix_customers_tenant_company_key", "tenant_id", "company_key"),
        Index("ix_customers_tenant_email", "tenant_id", "primary_email"),
    )

    customer_code: Mapped[str] = mapped_column(String(50))
    name: Mapped[str] = mapped_column(String(200))
    company: Mapped[str | None] = mapped_column(String(200))
    # The normalized company name duplicate detection compares (see leads.domain).
    company_key: Mapped[str | None] = mapped_column(String(200))
    primary_email: Mapped[str | None] = mapped_column(String(320))
    primary_phone: Mapped[str | None] = mapped_column(String(50))
    tax_number: Mapped[str | None] = mapped_column(String(50))
    billing_address: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    shipping_address: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    credit_limit: Mapped[Decimal | None]
    payment_terms: Mapped[str] = mapped_column(String(40))
    currency_code: Mapped[str] = mapped_column(String(3))
    segment: Mapped[str | None] = mapped_column(String(50))
    status: Mapped[str] = mapped_column(String(20))
    tags: Mapped[list[str]] = mapped_column(ARRAY(String(50)))
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Contact(TenantScoped, Base):
    __tablename__ = "contacts"

    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id"), index=True)
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str | None] = mapped_column(String(320))
    phone: Mapped[str | None] = mapped_column(String(50))
    title: Mapped[str | None] = mapped_column(String(100))
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Lead(TenantScoped, Base):
    __tablename__ = "leads"
    __table_args__ = (
        Index("ix_leads_tenant_company_key", "tenant_id", "company_key"),
        Index("ix_leads_tenant_email", "tenant_id", "email"),
    )

    name: Mapped[str] = mapped_column(String(200))
    company: Mapped[str | None] = mapped_column(String(200))
    company_key: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320))
    phone: Mapped[str | None] = mapped_column(String(50))
    source: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20))
    estimated_value: Mapped[Decimal | None]
    currency_code: Mapped[str] = mapped_column(String(3))
    assigned_to: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    notes: Mapped[str | None] = mapped_column(Text)
    converted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    customer_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("customers.id"))
    contact_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("contacts.id"))
    opportunity_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("opportunities.id"))


class Opportunity(TenantScoped, Base):
    __tablename__ = "opportunities"

    opportunity_name: Mapped[str] = mapped_column(String(200))
    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id"), index=True)
    estimated_value: Mapped[Decimal | None]
    currency_code: Mapped[str] = mapped_column(String(3))
    stage: Mapped[str] = mapped_column(String(30))
    status: Mapped[str] = mapped_column(String(10))
    expected_close_date: Mapped[date | None] = mapped_column(Date)
    source: Mapped[str | None] = mapped_column(String(20))
    assigned_to: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    lead_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    # A fraction; reset to the stage's default at every stage change unless sent with it.
    probability: Mapped[Decimal | None] = mapped_column(Numeric(9, 6))
    lost_reason: Mapped[str | None] = mapped_column(Text)
    stage_entered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Task(TenantScoped, Base):
    __tablename__ = "tasks"
    __table_args__ = (Index("ix_tasks_tenant_due_at", "tenant_id", "due_at"),)

    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    due_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    remind_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    priority: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(20))
    assigned_to: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    related_type: Mapped[str | None] = mapped_column(String(20))
    related_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    # Set in the transaction that writes the reminder's outbox row: the reminder goes once.
    reminder_sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
