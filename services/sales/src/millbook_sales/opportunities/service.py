"""Opportunity use cases: the pipeline (create, edit, move, win, lose, reopen) and its odds.

Every stage change closes the current stage-history row and opens the next in the same
transaction as the change and its events. DELETE is a soft delete of an *open*
opportunity; a closed one is kept (409), because closed deals are what the win-probability
model learns from.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from millbook_platform.db import utcnow
from millbook_platform.errors import (
    Conflict,
    InvalidTransition,
    NotFound,
    ValidationFailed,
    field_error,
)
from millbook_platform.outbox import record_event
from millbook_platform.pagination import PageMeta, PageParams
from millbook_platform.requestctx import actor_var
from millbook_sales.customers.service import get_customer
from millbook_sales.models import Opportunity, OpportunityStageChange
from millbook_sales.opportunities import domain, events, repository
from millbook_sales.opportunities.domain import STAGE_PROBABILITY, Stage, StageStay
from millbook_sales.opportunities.repository import OpportunityFilters
from millbook_sales.opportunities.schemas import (
    REQUIRED_FIELDS,
    OpportunityCreate,
    OpportunityReplace,
    OpportunityUpdate,
)
from millbook_sales.tenants.service import currency_for
from millbook_sales.users.service import require_assignee

FIRST_STAGE = domain.FIRST_STAGE.value


@dataclass(frozen=True)
class OpportunityWithHistory:
    opportunity: Opportunity
    history: list[OpportunityStageChange]


async def get_opportunity(
    session: AsyncSession, tenant_id: uuid.UUID, opportunity_id: uuid.UUID, *, lock: bool = False
) -> Opportunity:
    opportunity = await repository.get(session, tenant_id, opportunity_id, lock=lock)
    if opportunity is None:
        raise NotFound(
            "No opportunity with this id.",
            details=[field_error("opportunity_id", str(opportunity_id))],
        )
    return opportunity


async def with_history(session: AsyncSession, opportunity: Opportunity) -> OpportunityWithHistory:
    history = await repository.history_of(session, opportunity.tenant_id, [opportunity.id])
    return OpportunityWithHistory(opportunity, history[opportunity.id])


async def read_opportunity(
    session: AsyncSession, tenant_id: uuid.UUID, opportunity_id: uuid.UUID
) -> OpportunityWithHistory:
    return await with_history(session, await get_opportunity(session, tenant_id, opportunity_id))


async def list_opportunities(
    session: AsyncSession, tenant_id: uuid.UUID, filters: OpportunityFilters, page: PageParams
) -> tuple[list[OpportunityWithHistory], PageMeta]:
    rows, meta = await repository.list_page(session, tenant_id, filters, page)
    history = await repository.history_of(session, tenant_id, [row.id for row in rows])
    return [OpportunityWithHistory(row, history[row.id]) for row in rows], meta


async def create_opportunity(
    session: AsyncSession, tenant_id: uuid.UUID, body: OpportunityCreate, *, source: str
) -> OpportunityWithHistory:
    _refuse_closed_start(body.stage)
    customer = await get_customer(session, tenant_id, body.customer_id)
    if body.assigned_to is not None:
        await require_assignee(session, tenant_id, body.assigned_to)
    opportunity = Opportunity(
        id=uuid.uuid4(),
        tenant_id=tenant_id,
        **body.model_dump(exclude={"currency_code", "stage", "probability"}),
        currency_code=await currency_for(
            session, tenant_id, body.currency_code, default=customer.currency_code
        ),
    )
    await open_opportunity(
        session, opportunity, source=source, stage=body.stage.value, probability=body.probability
    )
    return await with_history(session, opportunity)


async def open_opportunity(
    session: AsyncSession,
    opportunity: Opportunity,
    *,
    source: str,
    stage: str = FIRST_STAGE,
    probability: Decimal | None = None,
) -> Opportunity:
    """Save a new opportunity in its first stage, with its first stage-history row."""
    now = utcnow()
    opportunity.stage = stage
    opportunity.status = domain.status_of(stage).value
    opportunity.probability = probability if probability is not None else _default_odds(stage)
    opportunity.stage_entered_at = now
    session.add(opportunity)
    await session.flush()
    session.add(_stay(opportunity, stage, None, now))
    await session.flush()
    record_event(
        session, events.created(opportunity), tenant_id=opportunity.tenant_id, source=source
    )
    return opportunity


async def replace_opportunity(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    opportunity_id: uuid.UUID,
    body: OpportunityReplace,
    *,
    source: str,
) -> OpportunityWithHistory:
    opportunity = await _editable(session, tenant_id, opportunity_id)
    values = body.model_dump()
    customer = await get_customer(session, tenant_id, body.customer_id)
    values["currency_code"] = await currency_for(
        session, tenant_id, body.currency_code, default=customer.currency_code
    )
    await _change(session, opportunity, values, source=source)
    return await with_history(session, opportunity)


async def update_opportunity(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    opportunity_id: uuid.UUID,
    body: OpportunityUpdate,
    *,
    source: str,
) -> OpportunityWithHistory:
    values: dict[str, Any] = body.model_dump(exclude_unset=True)
    nulls = sorted(name for name in REQUIRED_FIELDS if name in values and values[name] is None)
    if nulls:
        raise ValidationFailed(
            "These fields cannot be null.",
            details=[field_error(n, "may not be null") for n in nulls],
        )
    opportunity = await _editable(session, tenant_id, opportunity_id)
    if "currency_code" in values:
        await currency_for(session, tenant_id, values["currency_code"])
    await _change(session, opportunity, values, source=source)
    return await with_history(session, opportunity)


async def win_opportunity(
    session: AsyncSession, tenant_id: uuid.UUID, opportunity_id: uuid.UUID, *, source: str
) -> OpportunityWithHistory:
    opportunity = await _editable(session, tenant_id, opportunity_id)
    await _move(session, opportunity, Stage.CLOSED_WON.value, source=source)
    return await with_history(session, opportunity)


async def lose_opportunity(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    opportunity_id: uuid.UUID,
    lost_reason: str,
    *,
    source: str,
) -> OpportunityWithHistory:
    opportunity = await _editable(session, tenant_id, opportunity_id)
    await _move(
        session, opportunity, Stage.CLOSED_LOST.value, lost_reason=lost_reason, source=source
    )
    return await with_history(session, opportunity)


async def reopen_opportunity(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    opportunity_id: uuid.UUID,
    stage: str | None,
    *,
    source: str,
) -> OpportunityWithHistory:
    """A closed opportunity back to an open stage (by default, where it was when it closed)."""
    opportunity = await get_opportunity(session, tenant_id, opportunity_id, lock=True)
    current = await with_history(session, opportunity)
    stays = [StageStay(r.stage, r.from_stage, r.entered_at, r.left_at) for r in current.history]
    last = domain.last_open_stay(stays)
    target = stage or (last.stage if last else FIRST_STAGE)
    try:
        domain.check_reopen(opportunity.stage, target)
    except domain.IllegalStageChange as exc:
        raise InvalidTransition(str(exc), details=[field_error("stage", target)]) from exc
    await _enter_stage(session, opportunity, target, source=source)
    return await with_history(session, opportunity)


async def delete_opportunity(
    session: AsyncSession, tenant_id: uuid.UUID, opportunity_id: uuid.UUID, *, source: str
) -> None:
    opportunity = await get_opportunity(session, tenant_id, opportunity_id, lock=True)
    if domain.is_closed(opportunity.stage):
        raise Conflict(
            f"A {opportunity.status} opportunity is kept as sales history; it cannot be deleted.",
            details=[field_error("status", opportunity.status)],
        )
    now = utcnow()
    opportunity.deleted_at = now
    await session.flush()
    record_event(session, events.deleted(opportunity, now), tenant_id=tenant_id, source=source)


# Changes ------------------------------------------------------------------------------


async def _editable(
    session: AsyncSession, tenant_id: uuid.UUID, opportunity_id: uuid.UUID
) -> Opportunity:
    opportunity = await get_opportunity(session, tenant_id, opportunity_id, lock=True)
    if domain.is_closed(opportunity.stage):
        raise InvalidTransition(
            f"The opportunity is {opportunity.status} and closed opportunities are final; "
            "reopen it (POST /v1/opportunities/{id}/reopen) to change it.",
            details=[field_error("stage", opportunity.stage)],
        )
    return opportunity


async def _change(
    session: AsyncSession, opportunity: Opportunity, values: dict[str, Any], *, source: str
) -> None:
    stage = values.pop("stage", None)
    stage = stage.value if isinstance(stage, Stage) else stage
    lost_reason = values.pop("lost_reason", None)
    moving = stage is not None and stage != opportunity.stage
    if lost_reason is not None and not (moving and stage == Stage.CLOSED_LOST):
        raise ValidationFailed(
            "lost_reason is given only when closing lost.",
            details=[field_error("lost_reason", "send it with stage closed_lost")],
        )
    probability = values.pop("probability", None) if moving else None
    if "probability" in values and values["probability"] is None:  # null: the stage's odds
        values["probability"] = _default_odds(opportunity.stage)
    if values.get("customer_id") not in (None, opportunity.customer_id):
        await get_customer(session, opportunity.tenant_id, values["customer_id"])
    if values.get("assigned_to") not in (None, opportunity.assigned_to):
        await require_assignee(session, opportunity.tenant_id, values["assigned_to"])
    changed = [name for name, value in values.items() if getattr(opportunity, name) != value]
    for name in changed:
        setattr(opportunity, name, values[name])
    await session.flush()
    if changed:
        event = events.updated(opportunity, changed, utcnow())
        record_event(session, event, tenant_id=opportunity.tenant_id, source=source)
    if moving:
        await _move(
            session,
            opportunity,
            stage,
            lost_reason=lost_reason,
            probability=probability,
            source=source,
        )


async def _move(
    session: AsyncSession,
    opportunity: Opportunity,
    target: str,
    *,
    source: str,
    lost_reason: str | None = None,
    probability: Decimal | None = None,
) -> None:
    try:
        domain.check_stage_change(opportunity.stage, target, lost_reason)
    except domain.IllegalStageChange as exc:
        raise InvalidTransition(str(exc), details=[field_error("stage", target)]) from exc
    except domain.LostReasonRequired as exc:
        raise ValidationFailed(str(exc), details=[field_error("lost_reason", str(exc))]) from exc
    await _enter_stage(
        session,
        opportunity,
        target,
        source=source,
        lost_reason=lost_reason,
        probability=probability,
    )


async def _enter_stage(
    session: AsyncSession,
    opportunity: Opportunity,
    target: str,
    *,
    source: str,
    lost_reason: str | None = None,
    probability: Decimal | None = None,
) -> None:
    now, actor = utcnow(), actor_var.get()
    current = await repository.current_stay(session, opportunity.tenant_id, opportunity.id)
    entered = current.entered_at if current else (opportunity.stage_entered_at or now)
    if current is not None:
        current.left_at = now
    from_stage = opportunity.stage
    session.add(_stay(opportunity, target, from_stage, now))
    opportunity.stage = target
    opportunity.status = domain.status_of(target).value
    opportunity.stage_entered_at = now
    closed = domain.is_closed(target)
    opportunity.probability = (
        probability if probability is not None and not closed else _default_odds(target)
    )
    opportunity.closed_at = now if closed else None
    opportunity.lost_reason = lost_reason if target == Stage.CLOSED_LOST else None
    await session.flush()
    tenant_id = opportunity.tenant_id
    days = domain.days_between(entered, now)
    change = events.stage_changed(opportunity, from_stage, days, actor, now)
    record_event(session, change, tenant_id=tenant_id, source=source)
    if target == Stage.CLOSED_WON:
        record_event(session, events.won(opportunity, now), tenant_id=tenant_id, source=source)
    if target == Stage.CLOSED_LOST:
        record_event(session, events.lost(opportunity, now), tenant_id=tenant_id, source=source)


def _stay(
    opportunity: Opportunity, stage: str, from_stage: str | None, at: datetime
) -> OpportunityStageChange:
    return OpportunityStageChange(
        id=uuid.uuid4(),
        tenant_id=opportunity.tenant_id,
        opportunity_id=opportunity.id,
        stage=stage,
        from_stage=from_stage,
        entered_at=at,
        changed_by=actor_var.get(),
    )


def _default_odds(stage: str) -> Decimal:
    return STAGE_PROBABILITY[Stage(stage)]


def _refuse_closed_start(stage: Stage) -> None:
    try:
        domain.check_new_stage(stage)
    except domain.IllegalStageChange as exc:
        raise ValidationFailed(
            str(exc), details=[field_error("stage", "use an open stage, then win or lose")]
        ) from exc
