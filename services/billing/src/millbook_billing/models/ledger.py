"""The double-entry ledger: each tenant's chart of accounts, journal entries and their lines.

Entries and lines are append-only: database triggers (migration 0003) refuse UPDATE,
DELETE and TRUNCATE, and deferred constraint triggers refuse, at commit, any entry whose
lines do not balance or differ in number from its `line_count`.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import Uuid

from millbook_billing.models.base import Base
from millbook_platform.db import TenantScoped, utcnow


class LedgerAccount(TenantScoped, Base):
    """One account of a tenant's chart; `code` is the account number (`1100`)."""

    __tablename__ = "accounts"
    __table_args__ = (UniqueConstraint("tenant_id", "code", name="uq_accounts_tenant_code"),)

    code: Mapped[str] = mapped_column(String(10))
    name: Mapped[str] = mapped_column(String(100))
    account_type: Mapped[str] = mapped_column(String(20))  # asset|liability|equity|revenue|expense
    normal_side: Mapped[str] = mapped_column(String(6))  # debit|credit


class JournalEntry(Base):
    """One financial fact; `(tenant_id, source_type, source_id)` is posted at most once."""

    __tablename__ = "journal_entries"
    __table_args__ = (
        UniqueConstraint(
            "tenant_id", "source_type", "source_id", name="uq_journal_entries_tenant_source"
        ),
        CheckConstraint("line_count >= 0", name="line_count"),
        Index("ix_journal_entries_tenant_date", "tenant_id", "entry_date", "created_at"),
        Index(
            "uq_journal_entries_reverses",
            "reverses_entry_id",
            unique=True,
            postgresql_where="reverses_entry_id IS NOT NULL",
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    tenant_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    entry_date: Mapped[date] = mapped_column(Date)
    source_type: Mapped[str] = mapped_column(String(40))
    source_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    memo: Mapped[str] = mapped_column(String(500))
    currency: Mapped[str] = mapped_column(String(3))
    actor: Mapped[str | None] = mapped_column(String(200))
    reverses_entry_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("journal_entries.id"))
    # How many lines the entry was posted with: lines added later fail the commit check.
    line_count: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class JournalLine(Base):
    """A debit or a credit to one account; AR/AP lines name their party and open document."""

    __tablename__ = "journal_lines"
    __table_args__ = (
        CheckConstraint("debit >= 0 AND credit >= 0", name="amounts_not_negative"),
        CheckConstraint("(debit = 0) <> (credit = 0)", name="debit_or_credit"),
        ForeignKeyConstraint(
            ["tenant_id", "account_code"],
            ["accounts.tenant_id", "accounts.code"],
            name="fk_journal_lines_account",
        ),
        Index("ix_journal_lines_tenant_account_date", "tenant_id", "account_code", "entry_date"),
        Index("ix_journal_lines_tenant_document", "tenant_id", "document_id"),
        Index("ix_journal_lines_entry", "entry_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    tenant_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    entry_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("journal_entries.id"))
    line_no: Mapped[int] = mapped_column(Integer)
    # The entry's date, repeated so report queries read one index (kept equal by the trigger).
    entry_date: Mapped[date] = mapped_column(Date)
    account_code: Mapped[str] = mapped_column(String(10))
    debit: Mapped[Decimal]
    credit: Mapped[Decimal]
    party_type: Mapped[str | None] = mapped_column(String(20))
    party_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    party_name: Mapped[str | None] = mapped_column(String(200))
    document_type: Mapped[str | None] = mapped_column(String(20))
    document_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    document_number: Mapped[str | None] = mapped_column(String(50))
    due_date: Mapped[date | None] = mapped_column(Date)
    description: Mapped[str | None] = mapped_column(String(500))
