"""Financial reports from the ledger, each reproducible for a past date."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import date
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from millbook_billing.ledger.postings import Account
from millbook_billing.reports import aging, domain, exports, repository
from millbook_platform.db import unit_of_work
from millbook_platform.errors import ValidationFailed, field_error

AGED_ACCOUNTS = {"receivable": Account.ACCOUNTS_RECEIVABLE, "payable": Account.ACCOUNTS_PAYABLE}


class AgingDetail(StrEnum):
    """How far down an aging report goes: party totals per bucket, or also each document."""

    PARTIES = "parties"
    ITEMS = "items"


async def trial_balance(
    session: AsyncSession, tenant_id: uuid.UUID, as_of: date
) -> domain.TrialBalance:
    rows = await repository.account_totals(session, tenant_id, as_of=as_of)
    return domain.trial_balance(rows, as_of)


async def balance_sheet(
    session: AsyncSession, tenant_id: uuid.UUID, as_of: date
) -> domain.BalanceSheet:
    rows = await repository.account_totals(session, tenant_id, as_of=as_of)
    return domain.balance_sheet(rows, as_of)


def _check_range(start: date, end: date) -> None:
    if end < start:
        raise ValidationFailed(
            "end_date is before start_date.",
            details=[field_error("end_date", "must be on or after start_date")],
        )


async def profit_loss(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    start: date,
    end: date,
    kind: domain.PeriodKind,
) -> domain.ProfitLoss:
    _check_range(start, end)
    rows = await repository.period_totals(session, tenant_id, start, end)
    return domain.profit_loss(rows, start, end, kind)


async def cash_flow(
    session: AsyncSession, tenant_id: uuid.UUID, start: date, end: date
) -> domain.CashFlow:
    _check_range(start, end)
    opening = await repository.cash_before(session, tenant_id, start)
    movements = await repository.cash_movements(session, tenant_id, start, end)
    return domain.cash_flow(opening, movements, start, end)


async def aging_report(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    kind: str,
    as_of: date,
    party_id: uuid.UUID | None = None,
    detail: AgingDetail = AgingDetail.PARTIES,
) -> aging.Aging:
    """`kind` is `receivable` (AR aging) or `payable` (AP aging).

    With `parties` the database sums each party's open documents per bucket, so only a
    row per party crosses the wire; `items` reads every open document and ages it here.
    """
    account = AGED_ACCOUNTS[kind]
    if detail is AgingDetail.ITEMS:
        items = await repository.open_items(
            session, tenant_id, account, as_of=as_of, party_id=party_id
        )
        return aging.aging(items, as_of)
    rows = await repository.party_buckets(
        session, tenant_id, account, as_of=as_of, party_id=party_id
    )
    return aging.party_aging(rows, as_of)


async def aging_csv(
    sessions: async_sessionmaker[AsyncSession],
    tenant_id: uuid.UUID,
    kind: str,
    as_of: date,
    party_id: uuid.UUID | None,
    currency: str,
) -> AsyncIterator[str]:
    """Every open document as a CSV row, read through a cursor in its own transaction.

    The response streams while this runs, so memory stays flat however many rows.
    """
    yield exports.csv_line(exports.AGING_HEADER)
    async with unit_of_work(sessions, tenant_id) as session:
        rows = repository.stream_open_items(
            session, tenant_id, AGED_ACCOUNTS[kind], as_of=as_of, party_id=party_id
        )
        async for item in rows:
            yield exports.csv_line(exports.aged_item_row(aging.age(item, as_of), currency))
