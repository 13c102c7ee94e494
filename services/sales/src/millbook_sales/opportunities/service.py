"""Opportunity use cases (the first slice: opened by lead conversion, read by id)."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from millbook_contracts.sales import OpportunityCreated
from millbook_platform.errors import NotFound, field_error
from millbook_platform.outbox import record_event
from millbook_sales.models import Opportunity

FIRST_STAGE = "qualification"


async def get_opportunity(
    session: AsyncSession, tenant_id: uuid.UUID, opportunity_id: uuid.UUID
) -> Opportunity:
    opportunity = await session.scalar(
        select(Opportunity).where(
            Opportunity.tenant_id == tenant_id, Opportunity.id == opportunity_id
        )
    )
    if opportunity is None:
        raise NotFound(
            "No opportunity with this id.",
            details=[field_error("opportunity_id", str(opportunity_id))],
        )
    return opportunity


async def open_opportunity(
    session: AsyncSession, opportunity: Opportunity, *, source: str
) -> Opportunity:
    opportunity.stage = FIRST_STAGE
    opportunity.status = "open"
    session.add(opportunity)
    await session.flush()
    event = OpportunityCreated(
        opportunity_id=opportunity.id,
        opportunity_name=opportunity.opportunity_name,
        customer_id=opportunity.customer_id,
        estimated_value=opportunity.estimated_value,
        currency_code=opportunity.currency_code,
        stage=opportunity.stage,
        status=opportunity.status,
        expected_close_date=opportunity.expected_close_date,
        source=opportunity.source,
        assigned_to=opportunity.assigned_to,
        lead_id=opportunity.lead_id,
        created_at=opportunity.created_at,
    )
    record_event(session, event, tenant_id=opportunity.tenant_id, source=source)
    return opportunity
