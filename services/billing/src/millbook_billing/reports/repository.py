"""The SQL aggregates behind the financial reports; the math on them is in `domain`/`aging`."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import date
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Date, Select, and_, case, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from millbook_billing.ledger.postings import Account
from millbook_billing.models.ledger import JournalEntry, JournalLine, LedgerAccount
from millbook_billing.reports.aging import (
    BUCKET_LIMITS,
    BUCKETS,
    OPEN_ENDED,
    OpenItem,
    PartyBuckets,
)
from millbook_billing.reports.domain import AccountTotals, CashMovement, PeriodTotals

OpenItemsSelect = Select[
    uuid.UUID | None, str | None, str | None, uuid.UUID | None, str | None, date | None, Decimal
]
PartyBucketsSelect = Select[*tuple[Any, ...]]
AnySelect = TypeVar("AnySelect", bound=Select[*tuple[Any, ...]])


def _joined_accounts(tenant_id: uuid.UUID) -> Any:
    return and_(
        LedgerAccount.tenant_id == JournalLine.tenant_id,
        LedgerAccount.code == JournalLine.account_code,
        LedgerAccount.tenant_id == tenant_id,
    )


async def account_totals(
    session: AsyncSession, tenant_id: uuid.UUID, *, as_of: date
) -> list[AccountTotals]:
    """Every account's summed debits and credits from lines dated on or before `as_of`."""
    rows = await session.execute(
        select(
            JournalLine.account_code,
            LedgerAccount.name,
            LedgerAccount.account_type,
            func.sum(JournalLine.debit),
            func.sum(JournalLine.credit),
        )
        .join(LedgerAccount, _joined_accounts(tenant_id))
        .where(JournalLine.tenant_id == tenant_id, JournalLine.entry_date <= as_of)
        .group_by(JournalLine.account_code, LedgerAccount.name, LedgerAccount.account_type)
    )
    return [AccountTotals(*row) for row in rows]


def period_totals_query(
    tenant_id: uuid.UUID, start: date, end: date
) -> Select[str, str, str, date, Decimal, Decimal]:
    """Revenue and expense accounts' debits and credits per day in start..end.

    Per day rather than per period: the report math folds days into calendar periods,
    so no time zone ever decides which month a date belongs to.
    """
    return (
        select(
            JournalLine.account_code,
            LedgerAccount.name,
            LedgerAccount.account_type,
            JournalLine.entry_date,
            func.sum(JournalLine.debit),
            func.sum(JournalLine.credit),
        )
        .join(LedgerAccount, _joined_accounts(tenant_id))
        .where(
            JournalLine.tenant_id == tenant_id,
            JournalLine.entry_date.between(start, end),
            LedgerAccount.account_type.in_(("revenue", "expense")),
        )
        .group_by(
            JournalLine.account_code,
            LedgerAccount.name,
            LedgerAccount.account_type,
            JournalLine.entry_date,
        )
    )


async def period_totals(
    session: AsyncSession, tenant_id: uuid.UUID, start: date, end: date
) -> list[PeriodTotals]:
    rows = await session.execute(period_totals_query(tenant_id, start, end))
    return [PeriodTotals(*row) for row in rows]


async def cash_before(session: AsyncSession, tenant_id: uuid.UUID, day: date) -> Decimal:
    """The cash balance at the start of `day`."""
    total = await session.scalar(
        select(func.coalesce(func.sum(JournalLine.debit - JournalLine.credit), 0)).where(
            JournalLine.tenant_id == tenant_id,
            JournalLine.account_code == Account.CASH.value,
            JournalLine.entry_date < day,
        )
    )
    return Decimal(total or 0)


async def cash_movements(
    session: AsyncSession, tenant_id: uuid.UUID, start: date, end: date
) -> list[CashMovement]:
    """Cash debits and credits in start..end per fact type (a reversal counts as its original)."""
    reversed_entry = aliased(JournalEntry)
    fact = func.coalesce(reversed_entry.source_type, JournalEntry.source_type)
    rows = await session.execute(
        select(fact, func.sum(JournalLine.debit), func.sum(JournalLine.credit))
        .join(JournalEntry, JournalEntry.id == JournalLine.entry_id)
        .outerjoin(reversed_entry, reversed_entry.id == JournalEntry.reverses_entry_id)
        .where(
            JournalLine.tenant_id == tenant_id,
            JournalLine.account_code == Account.CASH.value,
            JournalLine.entry_date.between(start, end),
        )
        .group_by(fact)
    )
    return [CashMovement(*row) for row in rows]


def _signed(account: Account) -> ColumnElement[Decimal]:
    """A line's amount on the account's normal side: AR is debit-normal, AP credit-normal."""
    if account is Account.ACCOUNTS_PAYABLE:
        return JournalLine.credit - JournalLine.debit
    return JournalLine.debit - JournalLine.credit


def _party_name() -> ColumnElement[str | None]:
    """`aging.party_name` in SQL: code point order, whatever the database's collation."""
    return func.max(JournalLine.party_name.collate("C"))


def _open_documents(
    statement: AnySelect,
    tenant_id: uuid.UUID,
    account: Account,
    *,
    as_of: date,
    party_id: uuid.UUID | None,
) -> AnySelect:
    """Group the account's lines up to `as_of` per document, keeping those still open."""
    statement = statement.where(
        JournalLine.tenant_id == tenant_id,
        JournalLine.account_code == account.value,
        JournalLine.entry_date <= as_of,
    )
    if party_id is not None:
        statement = statement.where(JournalLine.party_id == party_id)
    return statement.group_by(JournalLine.party_id, JournalLine.document_id).having(
        func.sum(_signed(account)) != 0
    )


def open_items_query(
    tenant_id: uuid.UUID, account: Account, *, as_of: date, party_id: uuid.UUID | None
) -> OpenItemsSelect:
    """Per document, the open balance of an AR (debit-normal) or AP (credit-normal) account.

    Unordered, so PostgreSQL may hash-aggregate; the report math orders what it shows.
    """
    statement = select(
        JournalLine.party_id,
        _party_name(),
        func.max(JournalLine.document_type),
        JournalLine.document_id,
        func.max(JournalLine.document_number),
        func.max(JournalLine.due_date),
        func.sum(_signed(account)),
    )
    return _open_documents(statement, tenant_id, account, as_of=as_of, party_id=party_id)


def days_past_due_sql(as_of: date, due_date: ColumnElement[Any]) -> ColumnElement[int]:
    """`aging.days_past_due` in SQL: days since the due date, 0 if not yet due or none."""
    return func.greatest(func.coalesce(literal(as_of, Date) - due_date, 0), 0)


def bucket_sql(days: ColumnElement[int]) -> ColumnElement[str]:
    """`aging.bucket_of` in SQL, built from the same `BUCKET_LIMITS`."""
    return case(
        *((days <= limit, literal(name)) for name, limit in BUCKET_LIMITS),
        else_=literal(OPEN_ENDED),
    )


def party_buckets_query(
    tenant_id: uuid.UUID, account: Account, *, as_of: date, party_id: uuid.UUID | None
) -> PartyBucketsSelect:
    """Per party, its open documents' balances summed per aging bucket at `as_of`.

    The documents are the ones `open_items_query` lists; only a row per party (with a
    column per bucket, in `BUCKETS` order) leaves the database.
    """
    due_date = func.max(JournalLine.due_date)
    documents = _open_documents(
        select(
            JournalLine.party_id.label("party_id"),
            _party_name().label("party_name"),
            bucket_sql(days_past_due_sql(as_of, due_date)).label("bucket"),
            func.sum(_signed(account)).label("amount"),
        ),
        tenant_id,
        account,
        as_of=as_of,
        party_id=party_id,
    ).subquery("open_documents")
    sums = (
        func.coalesce(func.sum(documents.c.amount).filter(documents.c.bucket == name), 0).label(
            name
        )
        for name in BUCKETS
    )
    return select(
        documents.c.party_id, func.max(documents.c.party_name.collate("C")), *sums
    ).group_by(documents.c.party_id)


async def party_buckets(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    account: Account,
    *,
    as_of: date,
    party_id: uuid.UUID | None,
) -> list[PartyBuckets]:
    rows = await session.execute(
        party_buckets_query(tenant_id, account, as_of=as_of, party_id=party_id)
    )
    return [PartyBuckets(row[0], row[1], dict(zip(BUCKETS, row[2:], strict=True))) for row in rows]


async def open_items(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    account: Account,
    *,
    as_of: date,
    party_id: uuid.UUID | None,
) -> list[OpenItem]:
    rows = await session.execute(
        open_items_query(tenant_id, account, as_of=as_of, party_id=party_id)
    )
    return [OpenItem(*row) for row in rows]


async def stream_open_items(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    account: Account,
    *,
    as_of: date,
    party_id: uuid.UUID | None,
) -> AsyncIterator[OpenItem]:
    """The same rows through a server-side cursor, a batch at a time (constant memory)."""
    statement = open_items_query(tenant_id, account, as_of=as_of, party_id=party_id).order_by(
        _party_name(), JournalLine.party_id, func.max(JournalLine.due_date)
    )
    result = await session.stream(statement.execution_options(yield_per=1000))
    async for row in result:
        yield OpenItem(*row)
