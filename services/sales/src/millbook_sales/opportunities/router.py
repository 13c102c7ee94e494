"""HTTP endpoints for opportunities (read by id; the rest of the pipeline comes later)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from millbook_platform.auth import require_scopes
from millbook_platform.deps import CurrentPrincipal, TenantSession
from millbook_platform.pagination import DataResponse
from millbook_sales.opportunities import service
from millbook_sales.opportunities.schemas import Opportunity

router = APIRouter(prefix="/v1/opportunities", tags=["opportunities"])


@router.get("/{opportunity_id}", response_model=DataResponse[Opportunity])
async def get_opportunity(
    opportunity_id: uuid.UUID, principal: CurrentPrincipal, session: TenantSession
) -> DataResponse[Opportunity]:
    """One sales opportunity."""
    require_scopes(principal, "opportunities:read")
    opportunity = await service.get_opportunity(session, principal.tenant_id, opportunity_id)
    return DataResponse(data=Opportunity.model_validate(opportunity))
