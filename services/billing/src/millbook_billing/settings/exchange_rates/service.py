"""Setting the tenant's exchange rates; a new rate posts the goods receipts it covers."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from millbook_billing.models import ExchangeRate
from millbook_billing.purchase_orders import receipts
from millbook_billing.settings.exchange_rates import repository
from millbook_billing.tenants.service import base_currency
from millbook_platform.errors import NotFound, ValidationFailed, field_error
from millbook_platform.pagination import PageMeta, PageParams


@dataclass(frozen=True)
class RateSet:
    rate: ExchangeRate
    base_currency: str
    receipts_posted: int


async def list_rates(
    session: AsyncSession, tenant_id: uuid.UUID, currency_code: str | None, page: PageParams
) -> tuple[Sequence[ExchangeRate], PageMeta, str]:
    """A page of the rates, and the base currency they convert to."""
    rows, meta = await repository.list_page(session, tenant_id, currency_code, page)
    return rows, meta, await base_currency(session, tenant_id)


async def set_rate(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    currency_code: str,
    effective_date: date,
    rate: Decimal,
) -> RateSet:
    """Upsert the rate, then post every waiting receipt in the currency it now covers."""
    base = await base_currency(session, tenant_id)
    if currency_code == base:
        raise ValidationFailed(
            f"{base} is the base currency: its rate is always 1.",
            details=[field_error("currency_code", "must not be the base currency")],
        )
    await repository.lock_currency(session, tenant_id, currency_code)
    row = await repository.upsert(session, tenant_id, currency_code, effective_date, rate)
    rates = await repository.rates_of(session, tenant_id, currency_code)
    posted = await receipts.post_receipts_covered(session, tenant_id, currency_code, base, rates)
    return RateSet(row, base, posted)


async def delete_rate(
    session: AsyncSession, tenant_id: uuid.UUID, currency_code: str, effective_date: date
) -> None:
    """Remove a rate; receipts already booked at it keep what they booked."""
    await repository.lock_currency(session, tenant_id, currency_code)
    if not await repository.remove(session, tenant_id, currency_code, effective_date):
        raise NotFound(
            f"No {currency_code} rate effective {effective_date.isoformat()}.",
            details=[field_error("effective_date", effective_date.isoformat())],
        )
