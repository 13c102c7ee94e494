"""HTTP endpoints for opportunities: parse, authorize, delegate."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Body, Query, Response
from fastapi.responses import JSONResponse

from millbook_platform.api_types import CalendarDate
from millbook_platform.auth import Principal
from millbook_platform.deps import TenantSession, needs
from millbook_platform.pagination import (
    DataResponse,
    ListResponse,
    Page,
    list_response,
    parse_fields,
    require_ordered,
)
from millbook_sales.deps import SalesSettings
from millbook_sales.opportunities import odds, service
from millbook_sales.opportunities.domain import OpportunityStatus, Stage
from millbook_sales.opportunities.repository import OpportunityFilters
from millbook_sales.opportunities.schemas import (
    Opportunity,
    OpportunityCreate,
    OpportunityLose,
    OpportunityReopen,
    OpportunityReplace,
    OpportunityUpdate,
    StageStayView,
    WinProbability,
)
from millbook_sales.opportunities.service import OpportunityWithHistory

router = APIRouter(prefix="/v1/opportunities", tags=["opportunities"])

Reader = Annotated[Principal, needs("opportunities:read")]
Writer = Annotated[Principal, needs("opportunities:write")]


def view(current: OpportunityWithHistory) -> Opportunity:
    opportunity = current.opportunity
    columns = {
        name: getattr(opportunity, name)
        for name in Opportunity.model_fields
        if name != "stage_history"
    }
    history = [StageStayView.model_validate(row) for row in current.history]
    return Opportunity.model_validate({**columns, "stage_history": history})


@router.get("", response_model=None, responses={200: {"model": ListResponse[Opportunity]}})
async def list_opportunities(
    principal: Reader,
    session: TenantSession,
    page: Page,
    stage: Stage | None = None,
    status: OpportunityStatus | None = None,
    customer_id: uuid.UUID | None = None,
    assigned_to: uuid.UUID | None = None,
    expected_close_date_from: CalendarDate | None = None,
    expected_close_date_to: CalendarDate | None = None,
    search: Annotated[str | None, Query(max_length=200)] = None,
) -> JSONResponse:
    """List opportunities, newest first, by stage, status, customer, owner or close date."""
    require_ordered(
        expected_close_date_from,
        expected_close_date_to,
        "expected_close_date_from",
        "expected_close_date_to",
    )
    fields = parse_fields(page.fields, Opportunity)
    filters = OpportunityFilters(
        stage=stage.value if stage else None,
        status=status.value if status else None,
        customer_id=customer_id,
        assigned_to=assigned_to,
        close_from=expected_close_date_from,
        close_to=expected_close_date_to,
        search=search.strip() if search else None,
    )
    rows, meta = await service.list_opportunities(session, principal.tenant_id, filters, page)
    return JSONResponse(list_response([view(row) for row in rows], meta, fields))


@router.post("", status_code=201, response_model=DataResponse[Opportunity])
async def create_opportunity(
    body: OpportunityCreate, principal: Writer, session: TenantSession, settings: SalesSettings
) -> DataResponse[Opportunity]:
    """Open an opportunity for a customer in an open stage."""
    created = await service.create_opportunity(
        session, principal.tenant_id, body, source=settings.source
    )
    return DataResponse(data=view(created))


@router.get("/{opportunity_id}", response_model=DataResponse[Opportunity])
async def get_opportunity(
    opportunity_id: uuid.UUID, principal: Reader, session: TenantSession
) -> DataResponse[Opportunity]:
    """One opportunity with its stage history."""
    current = await service.read_opportunity(session, principal.tenant_id, opportunity_id)
    return DataResponse(data=view(current))


@router.put("/{opportunity_id}", response_model=DataResponse[Opportunity])
async def replace_opportunity(
    opportunity_id: uuid.UUID,
    body: OpportunityReplace,
    principal: Writer,
    session: TenantSession,
    settings: SalesSettings,
) -> DataResponse[Opportunity]:
    """Replace an open opportunity's fields; a new stage is a stage change."""
    current = await service.replace_opportunity(
        session, principal.tenant_id, opportunity_id, body, source=settings.source
    )
    return DataResponse(data=view(current))


@router.patch("/{opportunity_id}", response_model=DataResponse[Opportunity])
async def update_opportunity(
    opportunity_id: uuid.UUID,
    body: OpportunityUpdate,
    principal: Writer,
    session: TenantSession,
    settings: SalesSettings,
) -> DataResponse[Opportunity]:
    """Change only the fields sent; `stage` moves it (closing lost needs `lost_reason`)."""
    current = await service.update_opportunity(
        session, principal.tenant_id, opportunity_id, body, source=settings.source
    )
    return DataResponse(data=view(current))


@router.delete("/{opportunity_id}", status_code=204, response_class=Response)
async def delete_opportunity(
    opportunity_id: uuid.UUID, principal: Writer, session: TenantSession, settings: SalesSettings
) -> Response:
    """Remove an open opportunity from the pipeline; closed ones are kept (409)."""
    await service.delete_opportunity(
        session, principal.tenant_id, opportunity_id, source=settings.source
    )
    return Response(status_code=204)


@router.post("/{opportunity_id}/win", response_model=DataResponse[Opportunity])
async def win_opportunity(
    opportunity_id: uuid.UUID,
    principal: Writer,
    session: TenantSession,
    settings: SalesSettings,
) -> DataResponse[Opportunity]:
    """Close an open opportunity as won."""
    current = await service.win_opportunity(
        session, principal.tenant_id, opportunity_id, source=settings.source
    )
    return DataResponse(data=view(current))


@router.post("/{opportunity_id}/lose", response_model=DataResponse[Opportunity])
async def lose_opportunity(
    opportunity_id: uuid.UUID,
    body: OpportunityLose,
    principal: Writer,
    session: TenantSession,
    settings: SalesSettings,
) -> DataResponse[Opportunity]:
    """Close an open opportunity as lost, saying why."""
    current = await service.lose_opportunity(
        session, principal.tenant_id, opportunity_id, body.lost_reason, source=settings.source
    )
    return DataResponse(data=view(current))


@router.post("/{opportunity_id}/reopen", response_model=DataResponse[Opportunity])
async def reopen_opportunity(
    opportunity_id: uuid.UUID,
    principal: Writer,
    session: TenantSession,
    settings: SalesSettings,
    body: Annotated[OpportunityReopen | None, Body()] = None,
) -> DataResponse[Opportunity]:
    """Move a closed opportunity back to an open stage (by default where it closed)."""
    stage = body.stage.value if body and body.stage else None
    current = await service.reopen_opportunity(
        session, principal.tenant_id, opportunity_id, stage, source=settings.source
    )
    return DataResponse(data=view(current))


@router.get("/{opportunity_id}/win-probability", response_model=DataResponse[WinProbability])
async def win_probability(
    opportunity_id: uuid.UUID, principal: Reader, session: TenantSession
) -> DataResponse[WinProbability]:
    """The odds of winning, the named factors behind them and what to do next."""
    result = await odds.win_probability(session, principal.tenant_id, opportunity_id)
    return DataResponse(data=result)
