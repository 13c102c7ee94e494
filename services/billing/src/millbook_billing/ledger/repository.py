"""Every ledger query: the chart, posting entries and lines, and the entries list."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, exists, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from millbook_billing.ledger.chart import CHART
from millbook_billing.ledger.postings import JournalDraft
from millbook_billing.models.ledger import JournalEntry, JournalLine, LedgerAccount
from millbook_platform.db import utcnow


async def has_chart(session: AsyncSession, tenant_id: uuid.UUID) -> bool:
    found = await session.scalar(select(exists().where(LedgerAccount.tenant_id == tenant_id)))
    return bool(found)


async def insert_chart(session: AsyncSession, tenant_id: uuid.UUID) -> None:
    """Add every account of the seeded chart the tenant lacks (safe to run concurrently)."""
    now = utcnow()
    rows = [
        {
            "id": uuid.uuid4(),
            "tenant_id": tenant_id,
            "code": spec.account.value,
            "name": spec.name,
            "account_type": spec.account_type,
            "normal_side": spec.normal_side,
            "created_at": now,
            "updated_at": now,
        }
        for spec in CHART
    ]
    statement = insert(LedgerAccount).values(rows)
    await session.execute(statement.on_conflict_do_nothing(index_elements=["tenant_id", "code"]))


async def entry_for_source(
    session: AsyncSession, tenant_id: uuid.UUID, source_type: str, source_id: uuid.UUID
) -> JournalEntry | None:
    return await session.scalar(
        select(JournalEntry).where(
            JournalEntry.tenant_id == tenant_id,
            JournalEntry.source_type == source_type,
            JournalEntry.source_id == source_id,
        )
    )


async def insert_entry(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    draft: JournalDraft,
    *,
    actor: str | None,
    reverses_entry_id: uuid.UUID | None = None,
) -> uuid.UUID | None:
    """The new entry's id, or None when the source was already posted (by a concurrent writer)."""
    entry_id = uuid.uuid4()
    statement = (
        insert(JournalEntry)
        .values(
            id=entry_id,
            tenant_id=tenant_id,
            entry_date=draft.entry_date,
            source_type=draft.source_type,
            source_id=draft.source_id,
            memo=draft.memo[:500],
            currency=draft.currency,
            actor=actor,
            reverses_entry_id=reverses_entry_id,
            line_count=len(draft.lines),
            created_at=utcnow(),
        )
        .on_conflict_do_nothing(index_elements=["tenant_id", "source_type", "source_id"])
        .returning(JournalEntry.id)
    )
    inserted = await session.scalar(statement)
    if inserted is None:
        return None
    if draft.lines:
        await session.execute(insert(JournalLine), _line_rows(tenant_id, entry_id, draft))
    return entry_id


def _line_rows(
    tenant_id: uuid.UUID, entry_id: uuid.UUID, draft: JournalDraft
) -> list[dict[str, Any]]:
    return [
        {
            "id": uuid.uuid4(),
            "tenant_id": tenant_id,
            "entry_id": entry_id,
            "line_no": number,
            "entry_date": draft.entry_date,
            "account_code": line.account.value,
            "debit": line.debit,
            "credit": line.credit,
            "party_type": line.party.party_type if line.party else None,
            "party_id": line.party.party_id if line.party else None,
            "party_name": line.party.name[:200] if line.party else None,
            "document_type": line.document.document_type if line.document else None,
            "document_id": line.document.document_id if line.document else None,
            "document_number": line.document.number if line.document else None,
            "due_date": line.document.due_date if line.document else None,
            "description": line.description,
        }
        for number, line in enumerate(draft.lines, start=1)
    ]


async def document_balance(
    session: AsyncSession, tenant_id: uuid.UUID, account_code: str, document_id: uuid.UUID
) -> Decimal:
    """Debits minus credits posted to one account for one open document (an invoice, a bill)."""
    total = await session.scalar(
        select(func.coalesce(func.sum(JournalLine.debit - JournalLine.credit), 0)).where(
            JournalLine.tenant_id == tenant_id,
            JournalLine.document_id == document_id,
            JournalLine.account_code == account_code,
        )
    )
    return Decimal(total or 0)


async def lines_of(session: AsyncSession, entry_ids: Sequence[uuid.UUID]) -> list[JournalLine]:
    if not entry_ids:
        return []
    rows = await session.scalars(
        select(JournalLine)
        .where(JournalLine.entry_id.in_(entry_ids))
        .order_by(JournalLine.entry_id, JournalLine.line_no)
    )
    return list(rows.all())


def entries_query(
    tenant_id: uuid.UUID,
    *,
    date_from: date | None,
    date_to: date | None,
    account: str | None,
    source_type: str | None,
    document_id: uuid.UUID | None,
) -> Select[JournalEntry]:
    statement = select(JournalEntry).where(JournalEntry.tenant_id == tenant_id)
    if date_from is not None:
        statement = statement.where(JournalEntry.entry_date >= date_from)
    if date_to is not None:
        statement = statement.where(JournalEntry.entry_date <= date_to)
    if source_type is not None:
        statement = statement.where(JournalEntry.source_type == source_type)
    line_filters = []
    if account is not None:
        line_filters.append(JournalLine.account_code == account)
    if document_id is not None:
        line_filters.append(JournalLine.document_id == document_id)
    if line_filters:
        statement = statement.where(
            exists().where(
                JournalLine.entry_id == JournalEntry.id,
                JournalLine.tenant_id == tenant_id,
                *line_filters,
            )
        )
    return statement


async def accounts_with_balances(
    session: AsyncSession, tenant_id: uuid.UUID, as_of: date | None
) -> list[tuple[LedgerAccount, Decimal, Decimal]]:
    """Each account with its total debits and credits up to `as_of` (all time when None)."""
    totals = select(
        JournalLine.account_code,
        func.sum(JournalLine.debit).label("debit"),
        func.sum(JournalLine.credit).label("credit"),
    ).where(JournalLine.tenant_id == tenant_id)
    if as_of is not None:
        totals = totals.where(JournalLine.entry_date <= as_of)
    sums = totals.group_by(JournalLine.account_code).subquery()
    rows = await session.execute(
        select(
            LedgerAccount,
            func.coalesce(sums.c.debit, 0),
            func.coalesce(sums.c.credit, 0),
        )
        .outerjoin(sums, sums.c.account_code == LedgerAccount.code)
        .where(LedgerAccount.tenant_id == tenant_id)
        .order_by(LedgerAccount.code)
    )
    return [(account, Decimal(debit), Decimal(credit)) for account, debit, credit in rows.all()]
