"""HTTP endpoints for contacts: parse, authorize, delegate."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response
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
from millbook_sales.contacts import service
from millbook_sales.contacts.schemas import Contact, ContactCreate, ContactUpdate
from millbook_sales.customers.batch import BatchRequest, BatchResponse, create_each, respond
from millbook_sales.deps import SalesSettings
from millbook_sales.models import Contact as ContactRow

router = APIRouter(prefix="/v1/contacts", tags=["contacts"])


@router.post("", status_code=201, response_model=DataResponse[Contact])
async def create_contact(
    body: ContactCreate,
    principal: Annotated[Principal, needs("contacts:write")],
    session: TenantSession,
    settings: SalesSettings,
) -> DataResponse[Contact]:
    """Add a person at one of the organization's customers."""
    contact = await service.create_contact(
        session, principal.tenant_id, body, source=settings.source
    )
    return DataResponse(data=Contact.model_validate(contact))


@router.post(
    "/batch",
    status_code=207,
    response_model=BatchResponse[Contact],
    responses={201: {"model": BatchResponse[Contact], "description": "Atomic: all created."}},
)
async def create_contacts_batch(
    body: BatchRequest,
    principal: Annotated[Principal, needs("contacts:write")],
    session: TenantSession,
    settings: SalesSettings,
    atomic: Annotated[
        bool, Query(description="All or nothing: any failure writes nothing.")
    ] = False,
) -> JSONResponse:
    """Add up to 100 contacts; 207 with a result per item, or all-or-nothing when atomic."""

    async def create(item: ContactCreate) -> ContactRow:
        return await service.create_contact(
            session, principal.tenant_id, item, source=settings.source
        )

    outcomes = await create_each(session, body.items, ContactCreate, create)
    result = respond(outcomes, Contact.model_validate, atomic=atomic)
    return JSONResponse(result.model_dump(mode="json"), status_code=201 if atomic else 207)


@router.get("", response_model=None, responses={200: {"model": ListResponse[Contact]}})
async def list_contacts(
    principal: Annotated[Principal, needs("contacts:read")],
    session: TenantSession,
    page: Page,
    customer_id: uuid.UUID | None = None,
) -> JSONResponse:
    """List contacts, newest first, optionally those of one customer."""
    fields = parse_fields(page.fields, Contact)
    rows, meta = await service.list_contacts(session, principal.tenant_id, customer_id, page)
    return JSONResponse(list_response([Contact.model_validate(r) for r in rows], meta, fields))


@router.get("/{contact_id}", response_model=DataResponse[Contact])
async def get_contact(
    contact_id: uuid.UUID,
    principal: Annotated[Principal, needs("contacts:read")],
    session: TenantSession,
) -> DataResponse[Contact]:
    """One contact."""
    contact = await service.get_contact(session, principal.tenant_id, contact_id)
    return DataResponse(data=Contact.model_validate(contact))


@router.patch("/{contact_id}", response_model=DataResponse[Contact])
async def update_contact(
    contact_id: uuid.UUID,
    body: ContactUpdate,
    principal: Annotated[Principal, needs("contacts:write")],
    session: TenantSession,
    settings: SalesSettings,
) -> DataResponse[Contact]:
    """Change only the fields sent."""
    contact = await service.update_contact(
        session, principal.tenant_id, contact_id, body, source=settings.source
    )
    return DataResponse(data=Contact.model_validate(contact))


@router.delete("/{contact_id}", status_code=204, response_class=Response)
async def delete_contact(
    contact_id: uuid.UUID,
    principal: Annotated[Principal, needs("contacts:write")],
    session: TenantSession,
    settings: SalesSettings,
) -> Response:
    """Delete a contact (kept for history, hidden from every list and lookup)."""
    await service.delete_contact(session, principal.tenant_id, contact_id, source=settings.source)
    return Response(status_code=204)
