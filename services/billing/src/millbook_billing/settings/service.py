"""The tenant's billing settings: how orders are invoiced and what a PDF says about the seller."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from millbook_billing.models import BillingSettings
from millbook_billing.settings.schemas import BillingSettingsIn, BillingSettingsOut


async def current_settings(session: AsyncSession, tenant_id: uuid.UUID) -> BillingSettingsOut:
    """The tenant's settings, or the defaults when it never saved any."""
    row = await session.scalar(
        select(BillingSettings).where(BillingSettings.tenant_id == tenant_id)
    )
    return BillingSettingsOut() if row is None else BillingSettingsOut.model_validate(row)


async def replace_settings(
    session: AsyncSession, tenant_id: uuid.UUID, body: BillingSettingsIn
) -> BillingSettingsOut:
    row = await session.scalar(
        select(BillingSettings).where(BillingSettings.tenant_id == tenant_id).with_for_update()
    )
    values = body.model_dump(mode="json")
    if row is None:
        row = BillingSettings(tenant_id=tenant_id, **values)
        session.add(row)
    else:
        for name, value in values.items():
            setattr(row, name, value)
    await session.flush()
    return BillingSettingsOut.model_validate(row)
