"""Every query on pricing settings and estimates, including the history of similar work."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, delete, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from millbook_platform.db import utcnow
from millbook_sales.models import PricingEstimate, PricingSettings, Quotation, QuotationLine
from millbook_sales.quotations.domain import QuotationStatus

# The newest similar jobs describe the shop as it is now.
HISTORY_LIMIT = 200


async def settings_of(
    session: AsyncSession, tenant_id: uuid.UUID, *, lock: bool = False
) -> PricingSettings | None:
    statement = select(PricingSettings).where(PricingSettings.tenant_id == tenant_id)
    return await session.scalar(statement.with_for_update() if lock else statement)


async def save_settings(
    session: AsyncSession, tenant_id: uuid.UUID, values: dict[str, Any]
) -> PricingSettings:
    """Insert or update the tenant's one row; concurrent first saves cannot both insert."""
    statement = insert(PricingSettings).values(tenant_id=tenant_id, **values)
    statement = statement.on_conflict_do_update(
        index_elements=[PricingSettings.tenant_id],
        set_={**values, "updated_at": utcnow()},
    )
    await session.execute(statement)
    row = await session.scalar(
        select(PricingSettings)
        .where(PricingSettings.tenant_id == tenant_id)
        .execution_options(populate_existing=True)
    )
    assert row is not None
    return row


async def similar_accepted_work(
    session: AsyncSession, tenant_id: uuid.UUID, material_type: str, complexity: str
) -> list[tuple[Decimal, Decimal]]:
    """(quantity, hours) of accepted quotations' lines priced for this material and complexity.

    The accepted line's own `estimated_hours` and quantity win over the estimate: a sales
    engineer who corrected the hours before sending taught us the better number.
    """
    line = QuotationLine
    statement = (
        select(
            func.coalesce(line.quantity, PricingEstimate.quantity),
            func.coalesce(line.estimated_hours, PricingEstimate.machining_hours),
        )
        .select_from(PricingEstimate)
        .join(Quotation, Quotation.id == PricingEstimate.quotation_id)
        .outerjoin(
            line,
            and_(
                line.quotation_id == PricingEstimate.quotation_id,
                line.line_number == PricingEstimate.line_number,
            ),
        )
        .where(
            PricingEstimate.tenant_id == tenant_id,
            Quotation.tenant_id == tenant_id,
            Quotation.status == QuotationStatus.ACCEPTED.value,
            PricingEstimate.material_type == material_type,
            PricingEstimate.machining_complexity == complexity,
        )
        .order_by(Quotation.accepted_at.desc().nulls_last(), PricingEstimate.id)
        .limit(HISTORY_LIMIT)
    )
    return [(quantity, hours) for quantity, hours in (await session.execute(statement)).all()]


async def replace_estimates(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    quotation_id: uuid.UUID,
    estimates: Sequence[PricingEstimate],
) -> None:
    """The quotation's estimates for these lines become `estimates` (one per line)."""
    numbers = [estimate.line_number for estimate in estimates]
    await session.execute(
        delete(PricingEstimate).where(
            PricingEstimate.tenant_id == tenant_id,
            PricingEstimate.quotation_id == quotation_id,
            PricingEstimate.line_number.in_(numbers),
        )
    )
    session.add_all(estimates)
    await session.flush()
