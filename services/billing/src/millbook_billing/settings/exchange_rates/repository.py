"""Every query on the tenant's exchange rates."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import replace
from datetime import date
from decimal import Decimal

from sqlalchemy import Select, delete, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from millbook_billing.models import ExchangeRate
from millbook_platform.db import utcnow
from millbook_platform.pagination import PageMeta, PageParams, paginate


async def lock_currency(session: AsyncSession, tenant_id: uuid.UUID, currency_code: str) -> None:
    """Serialize, until the transaction ends, setting a currency's rates and posting receipts
    in it: a receipt then either sees a new rate or is seen by the request that sets it.

    Taken before any purchase order lock, by requests and consumers alike.
    """
    key = f"exchange-rate:{tenant_id}:{currency_code}"
    await session.execute(select(func.pg_advisory_xact_lock(func.hashtextextended(key, 0))))


async def latest_rate(
    session: AsyncSession, tenant_id: uuid.UUID, currency_code: str, day: date
) -> Decimal | None:
    """The currency's rate effective on `day`: the latest on or before it."""
    rate = await session.scalar(
        select(ExchangeRate.rate)
        .where(
            ExchangeRate.tenant_id == tenant_id,
            ExchangeRate.currency_code == currency_code,
            ExchangeRate.effective_date <= day,
        )
        .order_by(ExchangeRate.effective_date.desc())
        .limit(1)
    )
    return None if rate is None else Decimal(rate)


async def rates_of(
    session: AsyncSession, tenant_id: uuid.UUID, currency_code: str
) -> list[tuple[date, Decimal]]:
    """Every rate of the currency as (effective_date, rate)."""
    rows = await session.execute(
        select(ExchangeRate.effective_date, ExchangeRate.rate).where(
            ExchangeRate.tenant_id == tenant_id, ExchangeRate.currency_code == currency_code
        )
    )
    return [(since, Decimal(rate)) for since, rate in rows.all()]


async def upsert(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    currency_code: str,
    effective_date: date,
    rate: Decimal,
) -> ExchangeRate:
    now = utcnow()
    statement = insert(ExchangeRate).values(
        id=uuid.uuid4(),
        tenant_id=tenant_id,
        currency_code=currency_code,
        effective_date=effective_date,
        rate=rate,
        created_at=now,
        updated_at=now,
    )
    written = await session.scalar(
        statement.on_conflict_do_update(
            constraint="uq_exchange_rates_tenant_day",
            set_={"rate": rate, "updated_at": now},
        )
        .returning(ExchangeRate)
        .execution_options(populate_existing=True)
    )
    assert written is not None
    return written


async def remove(
    session: AsyncSession, tenant_id: uuid.UUID, currency_code: str, effective_date: date
) -> bool:
    deleted = await session.scalar(
        delete(ExchangeRate)
        .where(
            ExchangeRate.tenant_id == tenant_id,
            ExchangeRate.currency_code == currency_code,
            ExchangeRate.effective_date == effective_date,
        )
        .returning(ExchangeRate.id)
    )
    return deleted is not None


def _listed(tenant_id: uuid.UUID, currency_code: str | None) -> Select[ExchangeRate]:
    statement = select(ExchangeRate).where(ExchangeRate.tenant_id == tenant_id)
    if currency_code is not None:
        statement = statement.where(ExchangeRate.currency_code == currency_code)
    return statement


async def list_page(
    session: AsyncSession, tenant_id: uuid.UUID, currency_code: str | None, page: PageParams
) -> tuple[Sequence[ExchangeRate], PageMeta]:
    if not page.sort:
        page = replace(page, sort="currency_code,-effective_date")
    return await paginate(
        session,
        _listed(tenant_id, currency_code),
        page,
        created_at=ExchangeRate.created_at,
        row_id=ExchangeRate.id,
        sortable={
            "currency_code": ExchangeRate.currency_code,
            "effective_date": ExchangeRate.effective_date,
            "rate": ExchangeRate.rate,
        },
    )
