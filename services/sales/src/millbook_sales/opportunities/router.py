"""HTTP endpoints for opportunities (read by id; the rest of the pipeline comes later)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter

from millbook_platform.auth import Principal
from millbook_platform.deps import TenantSession, needs
from millbook_platform.pagination import DataResponse
from millbook_sales.opportunities import service
from millbook_sales.opportunities.schemas import Opportunity

router = APIRouter(prefix="/v1/opportunities", tags=["opportunities"])


@router.get("/{opportunity_id}", response_model=DataResponse[Opportunity])
async def get_opportunity(
    opportunity_id: uuid.UUID,
    principal: Annotated[Principal, needs("opportunities:read")],
    session: TenantSession,
) -> DataResponse[Opportunity]:
    """One sales opportunity."""
    opportunity = await service.get_opportunity(session, principal.tenant_id, opportunity_id)
    return DataResponse(data=Opportunity.model_validate(opportunity))
