"""Tenant settings use cases, and the currency check customers and quotations make."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from millbook_platform.errors import ValidationFailed, field_error
from millbook_sales.tenants import repository
from millbook_sales.tenants.domain import TenantCurrencies, tenant_currencies
from millbook_sales.tenants.schemas import SalesSettingsUpdate, SalesSettingsView


async def currencies_of(session: AsyncSession, tenant_id: uuid.UUID) -> TenantCurrencies:
    row = await repository.get(session, tenant_id)
    if row is None:
        return tenant_currencies(None, None)
    return tenant_currencies(row.base_currency, row.accepted_currencies)


async def currency_for(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    requested: str | None,
    *,
    default: str | None = None,
) -> str:
    """`requested` (else `default`, else the base currency) if the tenant accepts it; else 422."""
    return accepted_currency(await currencies_of(session, tenant_id), requested, default=default)


def accepted_currency(
    currencies: TenantCurrencies, requested: str | None, *, default: str | None = None
) -> str:
    """As `currency_for`, with the tenant's currencies already at hand (batches, imports)."""
    currency = requested or default or currencies.base
    if not currencies.accepts(currency):
        accepted = ", ".join(currencies.listed() or [])
        raise ValidationFailed(
            f"The organization does not accept {currency}; it accepts {accepted}.",
            details=[field_error("currency_code", f"{currency} is not an accepted currency")],
        )
    return currency


async def get_settings(session: AsyncSession, tenant_id: uuid.UUID) -> SalesSettingsView:
    row = await repository.get(session, tenant_id)
    currencies = await currencies_of(session, tenant_id)
    return SalesSettingsView(
        organization_name=row.name if row else None,
        base_currency=currencies.base,
        accepted_currencies=currencies.listed(),
        updated_at=row.updated_at if row else None,
    )


async def update_settings(
    session: AsyncSession, tenant_id: uuid.UUID, body: SalesSettingsUpdate
) -> SalesSettingsView:
    await repository.set_accepted_currencies(
        session, tenant_id, sorted(set(body.accepted_currencies))
    )
    await session.flush()
    session.expire_all()  # the upsert bypassed the identity map
    return await get_settings(session, tenant_id)
