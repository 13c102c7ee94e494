"""HTTP endpoints for quotations (also served as `/v1/quotes`): parse, authorize, delegate."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Body, Response
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
from millbook_sales.quotations import service
from millbook_sales.quotations.domain import QuotationStatus
from millbook_sales.quotations.repository import QuotationFilters
from millbook_sales.quotations.schemas import (
    Quotation,
    QuotationCreate,
    QuotationReject,
    QuotationUpdate,
    line_view,
)
from millbook_sales.quotations.service import QuotationWithLines

routes = APIRouter(tags=["quotations"])


def view(current: QuotationWithLines) -> Quotation:
    quotation = current.quotation
    columns = {
        name: getattr(quotation, name) for name in Quotation.model_fields if name != "line_items"
    }
    lines = [line_view(line, quotation.currency_code) for line in current.lines]
    return Quotation.model_validate({**columns, "line_items": lines})


@routes.post("", status_code=201, response_model=DataResponse[Quotation])
async def create_quotation(
    body: QuotationCreate,
    principal: Annotated[Principal, needs("quotations:write")],
    session: TenantSession,
    settings: SalesSettings,
) -> DataResponse[Quotation]:
    """Create a draft quotation; line amounts and totals are computed, never sent."""
    created = await service.create_quotation(
        session, principal.tenant_id, body, source=settings.source
    )
    return DataResponse(data=view(created))


@routes.get("", response_model=None, responses={200: {"model": ListResponse[Quotation]}})
async def list_quotations(
    principal: Annotated[Principal, needs("quotations:read")],
    session: TenantSession,
    page: Page,
    status: QuotationStatus | None = None,
    customer_id: uuid.UUID | None = None,
    date_from: CalendarDate | None = None,
    date_to: CalendarDate | None = None,
) -> JSONResponse:
    """List quotations by status, customer and quotation date range."""
    require_ordered(date_from, date_to, "date_from", "date_to")
    fields = parse_fields(page.fields, Quotation)
    filters = QuotationFilters(
        status=status.value if status else None,
        customer_id=customer_id,
        date_from=date_from,
        date_to=date_to,
    )
    rows, meta = await service.list_quotations(session, principal.tenant_id, filters, page)
    return JSONResponse(list_response([view(row) for row in rows], meta, fields))


@routes.get("/{quotation_id}", response_model=DataResponse[Quotation])
async def get_quotation(
    quotation_id: uuid.UUID,
    principal: Annotated[Principal, needs("quotations:read")],
    session: TenantSession,
) -> DataResponse[Quotation]:
    """One quotation with its lines and totals."""
    return DataResponse(
        data=view(await service.get_quotation(session, principal.tenant_id, quotation_id))
    )


@routes.put("/{quotation_id}", response_model=DataResponse[Quotation])
async def replace_quotation(
    quotation_id: uuid.UUID,
    body: QuotationCreate,
    principal: Annotated[Principal, needs("quotations:write")],
    session: TenantSession,
    settings: SalesSettings,
) -> DataResponse[Quotation]:
    """Replace a draft's details and lines; any other status is 409 INVALID_TRANSITION."""
    replaced = await service.replace_draft(
        session, principal.tenant_id, quotation_id, body, source=settings.source
    )
    return DataResponse(data=view(replaced))


@routes.patch("/{quotation_id}", response_model=DataResponse[Quotation])
async def update_quotation(
    quotation_id: uuid.UUID,
    body: QuotationUpdate,
    principal: Annotated[Principal, needs("quotations:write")],
    session: TenantSession,
    settings: SalesSettings,
) -> DataResponse[Quotation]:
    """Change the fields sent of a draft; `line_items`, when sent, replaces all lines."""
    updated = await service.update_draft(
        session, principal.tenant_id, quotation_id, body, source=settings.source
    )
    return DataResponse(data=view(updated))


@routes.delete("/{quotation_id}", status_code=204, response_class=Response)
async def delete_quotation(
    quotation_id: uuid.UUID,
    principal: Annotated[Principal, needs("quotations:write")],
    session: TenantSession,
    settings: SalesSettings,
) -> Response:
    """Delete a draft; a quotation that was sent is kept (409 INVALID_TRANSITION)."""
    await service.delete_draft(session, principal.tenant_id, quotation_id, source=settings.source)
    return Response(status_code=204)


@routes.get(
    "/{quotation_id}/pdf",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}, "description": "The quotation as PDF."}},
)
async def quotation_pdf(
    quotation_id: uuid.UUID,
    principal: Annotated[Principal, needs("quotations:read")],
    session: TenantSession,
) -> Response:
    """The quotation as a PDF: seller, customer, lines, totals, validity, terms and notes."""
    filename, pdf = await service.quotation_pdf(session, principal.tenant_id, quotation_id)
    return Response(
        content=pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{filename}"'},
    )


@routes.post("/{quotation_id}/send", response_model=DataResponse[Quotation])
async def send_quotation(
    quotation_id: uuid.UUID,
    principal: Annotated[Principal, needs("quotations:write")],
    session: TenantSession,
    settings: SalesSettings,
) -> DataResponse[Quotation]:
    """Send a draft: it gets its `QUO-YYYY-NNNN` number and the inbox is told to email it."""
    sent = await service.send_quotation(
        session, principal.tenant_id, quotation_id, source=settings.source
    )
    return DataResponse(data=view(sent))


@routes.post("/{quotation_id}/accept", response_model=DataResponse[Quotation])
async def accept_quotation(
    quotation_id: uuid.UUID,
    principal: Annotated[Principal, needs("quotations:write")],
    session: TenantSession,
    settings: SalesSettings,
) -> DataResponse[Quotation]:
    """Record that the customer accepted a sent quotation."""
    accepted = await service.accept_quotation(
        session, principal.tenant_id, quotation_id, source=settings.source
    )
    return DataResponse(data=view(accepted))


@routes.post("/{quotation_id}/reject", response_model=DataResponse[Quotation])
async def reject_quotation(
    quotation_id: uuid.UUID,
    principal: Annotated[Principal, needs("quotations:write")],
    session: TenantSession,
    settings: SalesSettings,
    body: Annotated[QuotationReject | None, Body()] = None,
) -> DataResponse[Quotation]:
    """Record that the customer rejected a sent quotation, optionally with a reason."""
    reason = body.reason if body else None
    rejected = await service.reject_quotation(
        session, principal.tenant_id, quotation_id, reason, source=settings.source
    )
    return DataResponse(data=view(rejected))


@routes.post("/{quotation_id}/duplicate", status_code=201, response_model=DataResponse[Quotation])
async def duplicate_quotation(
    quotation_id: uuid.UUID,
    principal: Annotated[Principal, needs("quotations:write")],
    session: TenantSession,
    settings: SalesSettings,
) -> DataResponse[Quotation]:
    """Copy any quotation into a new draft dated today."""
    copy = await service.duplicate_quotation(
        session, principal.tenant_id, quotation_id, source=settings.source
    )
    return DataResponse(data=view(copy))


router = APIRouter()
router.include_router(routes, prefix="/v1/quotations")
router.include_router(routes, prefix="/v1/quotes", include_in_schema=False)
