"""The win probability of an open opportunity, from the tenant's own closed opportunities."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from millbook_platform.db import utcnow
from millbook_sales.models import Opportunity, OpportunityStageChange
from millbook_sales.opportunities import domain, repository, service
from millbook_sales.opportunities import win_probability as model
from millbook_sales.opportunities.domain import Stage, StageStay
from millbook_sales.opportunities.schemas import WinFactor, WinProbability


def _stay_facts(row: OpportunityStageChange) -> StageStay:
    return StageStay(row.stage, row.from_stage, row.entered_at, row.left_at)


def _facts_of(
    opportunity: Opportunity, history: Sequence[OpportunityStageChange], as_of: datetime
) -> model.DealFacts:
    return model.deal_facts(
        stage=opportunity.stage,
        estimated_value=opportunity.estimated_value,
        created_at=opportunity.created_at,
        expected_close_date=opportunity.expected_close_date,
        source=opportunity.source,
        history=[_stay_facts(row) for row in history],
        as_of=as_of,
    )


async def win_probability(
    session: AsyncSession, tenant_id: uuid.UUID, opportunity_id: uuid.UUID
) -> WinProbability:
    current = await service.read_opportunity(session, tenant_id, opportunity_id)
    opportunity = current.opportunity
    if domain.is_closed(opportunity.stage):
        return _settled(opportunity)
    closed = await repository.closed_for_training(session, tenant_id, excluding=opportunity.id)
    histories = await repository.history_of(session, tenant_id, [row.id for row in closed])
    training = [
        model.ClosedDeal(
            _facts_of(row, histories[row.id], row.closed_at or row.updated_at),
            won=row.status == domain.OpportunityStatus.WON,
        )
        for row in closed
    ]
    result = model.estimate(_facts_of(opportunity, current.history, utcnow()), training)
    probability = round(result.probability, 4)
    return WinProbability(
        opportunity_id=opportunity.id,
        probability=probability,
        win_probability=probability,
        model=result.model,
        sample_size=result.sample_size,
        baseline=result.baseline,
        factors=[WinFactor(**vars(factor)) for factor in result.factors],
        recommendations=result.recommendations,
    )


def _settled(opportunity: Opportunity) -> WinProbability:
    probability = 1.0 if opportunity.stage == Stage.CLOSED_WON else 0.0
    return WinProbability(
        opportunity_id=opportunity.id,
        probability=probability,
        win_probability=probability,
        model="closed",
        sample_size=0,
        baseline=0.0,
        factors=[],
        recommendations=[],
    )
