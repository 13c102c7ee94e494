"""HTTP endpoints for leads: parse, authorize, delegate."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Body, Query
from fastapi.responses import JSONResponse

from millbook_platform.auth import Principal
from millbook_platform.deps import TenantSession, needs
from millbook_platform.pagination import (
    DataResponse,
    ListResponse,
    Page,
    list_response,
    parse_fields,
)
from millbook_sales.deps import SalesSettings
from millbook_sales.leads import service
from millbook_sales.leads.domain import LeadSource, LeadStatus
from millbook_sales.leads.repository import LeadFilters
from millbook_sales.leads.schemas import Conversion, Lead, LeadConvert, LeadCreate, LeadUpdate

router = APIRouter(prefix="/v1/leads", tags=["leads"])


@router.post("", status_code=201, response_model=DataResponse[Lead])
async def create_lead(
    body: LeadCreate,
    principal: Annotated[Principal, needs("leads:write")],
    session: TenantSession,
    settings: SalesSettings,
    allow_duplicate: Annotated[bool, Query()] = False,
) -> DataResponse[Lead]:
    """Capture a lead; 409 names an existing lead or customer with its email or company."""
    lead = await service.create_lead(
        session, principal.tenant_id, body, allow_duplicate=allow_duplicate, source=settings.source
    )
    return DataResponse(data=Lead.model_validate(lead))


@router.get("", response_model=None, responses={200: {"model": ListResponse[Lead]}})
async def list_leads(
    principal: Annotated[Principal, needs("leads:read")],
    session: TenantSession,
    page: Page,
    status: LeadStatus | None = None,
    source: LeadSource | None = None,
    assigned_to: uuid.UUID | None = None,
) -> JSONResponse:
    """List leads, newest first, by status, source or assignee."""
    fields = parse_fields(page.fields, Lead)
    filters = LeadFilters(
        status=status.value if status else None,
        source=source.value if source else None,
        assigned_to=assigned_to,
    )
    rows, meta = await service.list_leads(session, principal.tenant_id, filters, page)
    return JSONResponse(list_response([Lead.model_validate(r) for r in rows], meta, fields))


@router.get("/{lead_id}", response_model=DataResponse[Lead])
async def get_lead(
    lead_id: uuid.UUID, principal: Annotated[Principal, needs("leads:read")], session: TenantSession
) -> DataResponse[Lead]:
    """One lead."""
    lead = await service.get_lead(session, principal.tenant_id, lead_id)
    return DataResponse(data=Lead.model_validate(lead))


@router.patch("/{lead_id}", response_model=DataResponse[Lead])
async def update_lead(
    lead_id: uuid.UUID,
    body: LeadUpdate,
    principal: Annotated[Principal, needs("leads:write")],
    session: TenantSession,
    settings: SalesSettings,
) -> DataResponse[Lead]:
    """Change only the fields sent (conversion has its own endpoint)."""
    lead = await service.update_lead(
        session, principal.tenant_id, lead_id, body, source=settings.source
    )
    return DataResponse(data=Lead.model_validate(lead))


@router.post("/{lead_id}/convert", response_model=DataResponse[Conversion])
async def convert_lead(
    lead_id: uuid.UUID,
    principal: Annotated[Principal, needs("leads:write", "customers:write")],
    session: TenantSession,
    settings: SalesSettings,
    body: Annotated[LeadConvert | None, Body()] = None,
) -> DataResponse[Conversion]:
    """Turn a lead into a customer, a contact and an opportunity at once; returns their ids."""
    lead = await service.convert_lead(
        session, principal.tenant_id, lead_id, body or LeadConvert(), source=settings.source
    )
    assert lead.customer_id
    assert lead.contact_id
    assert lead.opportunity_id
    conversion = Conversion(
        lead_id=lead.id,
        customer_id=lead.customer_id,
        contact_id=lead.contact_id,
        opportunity_id=lead.opportunity_id,
    )
    return DataResponse(data=conversion)
