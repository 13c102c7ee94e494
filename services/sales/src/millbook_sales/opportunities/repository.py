"""Every query on opportunities and their stage history."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from millbook_platform.pagination import PageMeta, PageParams, paginate
from millbook_sales.models import Opportunity, OpportunityStageChange

SORTABLE = {
    "opportunity_name": Opportunity.opportunity_name,
    "estimated_value": Opportunity.estimated_value,
    "expected_close_date": Opportunity.expected_close_date,
    "stage": Opportunity.stage,
    "updated_at": Opportunity.updated_at,
}
# The newest closed deals describe how the team sells now, and bound the model's work.
TRAINING_LIMIT = 200


@dataclass(frozen=True)
class OpportunityFilters:
    stage: str | None = None
    status: str | None = None
    customer_id: uuid.UUID | None = None
    assigned_to: uuid.UUID | None = None
    close_from: date | None = None
    close_to: date | None = None
    search: str | None = None


async def get(
    session: AsyncSession, tenant_id: uuid.UUID, opportunity_id: uuid.UUID, *, lock: bool = False
) -> Opportunity | None:
    statement = select(Opportunity).where(
        Opportunity.tenant_id == tenant_id,
        Opportunity.id == opportunity_id,
        Opportunity.deleted_at.is_(None),
    )
    return await session.scalar(statement.with_for_update() if lock else statement)


async def list_page(
    session: AsyncSession, tenant_id: uuid.UUID, filters: OpportunityFilters, page: PageParams
) -> tuple[Sequence[Opportunity], PageMeta]:
    o = Opportunity
    statement = select(o).where(o.tenant_id == tenant_id, o.deleted_at.is_(None))
    if filters.stage is not None:
        statement = statement.where(o.stage == filters.stage)
    if filters.status is not None:
        statement = statement.where(o.status == filters.status)
    if filters.customer_id is not None:
        statement = statement.where(o.customer_id == filters.customer_id)
    if filters.assigned_to is not None:
        statement = statement.where(o.assigned_to == filters.assigned_to)
    if filters.close_from is not None:
        statement = statement.where(o.expected_close_date >= filters.close_from)
    if filters.close_to is not None:
        statement = statement.where(o.expected_close_date <= filters.close_to)
    if filters.search:
        pattern = "%" + filters.search.replace("\\", "\\\\").replace("%", r"\%").replace("_", r"\_")
        statement = statement.where(o.opportunity_name.ilike(pattern + "%", escape="\\"))
    return await paginate(
        session, statement, page, created_at=o.created_at, row_id=o.id, sortable=SORTABLE
    )


async def history_of(
    session: AsyncSession, tenant_id: uuid.UUID, opportunity_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[OpportunityStageChange]]:
    """Each opportunity's stays in stages, oldest first."""
    grouped: dict[uuid.UUID, list[OpportunityStageChange]] = {oid: [] for oid in opportunity_ids}
    if not opportunity_ids:
        return grouped
    rows = await session.scalars(
        select(OpportunityStageChange)
        .where(
            OpportunityStageChange.tenant_id == tenant_id,
            OpportunityStageChange.opportunity_id.in_(opportunity_ids),
        )
        .order_by(OpportunityStageChange.entered_at, OpportunityStageChange.id)
    )
    for row in rows:
        grouped[row.opportunity_id].append(row)
    return grouped


async def current_stay(
    session: AsyncSession, tenant_id: uuid.UUID, opportunity_id: uuid.UUID
) -> OpportunityStageChange | None:
    return await session.scalar(
        select(OpportunityStageChange).where(
            OpportunityStageChange.tenant_id == tenant_id,
            OpportunityStageChange.opportunity_id == opportunity_id,
            OpportunityStageChange.left_at.is_(None),
        )
    )


async def closed_for_training(
    session: AsyncSession, tenant_id: uuid.UUID, *, excluding: uuid.UUID
) -> Sequence[Opportunity]:
    statement = (
        select(Opportunity)
        .where(
            Opportunity.tenant_id == tenant_id,
            Opportunity.status.in_(("won", "lost")),
            Opportunity.deleted_at.is_(None),
            Opportunity.id != excluding,
        )
        .order_by(Opportunity.closed_at.desc().nulls_last(), Opportunity.id)
        .limit(TRAINING_LIMIT)
    )
    return (await session.scalars(statement)).all()
