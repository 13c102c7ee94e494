"""HTTP endpoints for supplier bills: parse, authorize, delegate."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Body, Query, Response
from fastapi.responses import JSONResponse

from millbook_billing.bills import from_document, service
from millbook_billing.bills.domain import BillStatus, is_overdue
from millbook_billing.bills.repository import BillFilters
from millbook_billing.bills.schemas import (
    Bill,
    BillApprove,
    BillCreate,
    BillFromDocument,
    BillLineView,
    BillPatch,
    BillVoid,
)
from millbook_billing.bills.service import BillWithLines
from millbook_platform.api_types import CalendarDate
from millbook_platform.auth import Principal
from millbook_platform.db import utcnow
from millbook_platform.deps import EventSource, TenantSession, needs
from millbook_platform.pagination import (
    DataResponse,
    ListResponse,
    Page,
    list_response,
    parse_fields,
    require_ordered,
)

router = APIRouter(prefix="/v1/bills", tags=["bills"])


def view(current: BillWithLines, today: date | None = None) -> Bill:
    bill = current.bill
    skip = {"line_items", "overdue", "match_status", "matching_id"}
    columns = {name: getattr(bill, name) for name in Bill.model_fields if name not in skip}
    lines = [
        BillLineView.model_validate(
            {
                **{
                    name: getattr(line, name)
                    for name in BillLineView.model_fields
                    if name != "currency_code"
                },
                "currency_code": bill.currency_code,
            }
        )
        for line in current.lines
    ]
    match = current.match
    return Bill.model_validate(
        {
            **columns,
            "line_items": lines,
            "overdue": is_overdue(bill.status, bill.due_date, today or utcnow().date()),
            "match_status": match.status if match else None,
            "matching_id": match.id if match else None,
        }
    )


@router.post("", status_code=201, response_model=DataResponse[Bill])
async def create_bill(
    body: BillCreate,
    principal: Annotated[Principal, needs("invoices:write")],
    session: TenantSession,
    source: EventSource,
) -> DataResponse[Bill]:
    """Enter a supplier's bill as a draft; it is matched against its purchase order at once."""
    created = await service.create_bill(session, principal.tenant_id, body, source=source)
    return DataResponse(data=view(created))


@router.post("/from-document/{document_id}", status_code=201, response_model=DataResponse[Bill])
async def create_bill_from_document(
    document_id: uuid.UUID,
    principal: Annotated[Principal, needs("invoices:write", "documents:read")],
    session: TenantSession,
    source: EventSource,
    body: Annotated[BillFromDocument | None, Body()] = None,
) -> DataResponse[Bill]:
    """Turn a completed OCR document (a supplier invoice) into a draft bill."""
    created = await from_document.bill_from_document(
        session, principal.tenant_id, document_id, body or BillFromDocument(), source=source
    )
    return DataResponse(data=view(created))


@router.get("", response_model=None, responses={200: {"model": ListResponse[Bill]}})
async def list_bills(
    principal: Annotated[Principal, needs("invoices:read")],
    session: TenantSession,
    page: Page,
    status: BillStatus | None = None,
    supplier_id: uuid.UUID | None = None,
    purchase_order_id: uuid.UUID | None = None,
    date_from: Annotated[CalendarDate | None, Query(description="bill_date on or after")] = None,
    date_to: Annotated[CalendarDate | None, Query(description="bill_date on or before")] = None,
    overdue_only: bool = False,
) -> JSONResponse:
    """List bills by status, supplier, purchase order, bill date, or only the overdue ones."""
    require_ordered(date_from, date_to, "date_from", "date_to")
    fields = parse_fields(page.fields, Bill)
    today = utcnow().date()
    filters = BillFilters(
        status=status.value if status else None,
        supplier_id=supplier_id,
        purchase_order_id=purchase_order_id,
        date_from=date_from,
        date_to=date_to,
        overdue_on=today if overdue_only else None,
    )
    rows, meta = await service.list_bills(session, principal.tenant_id, filters, page)
    return JSONResponse(list_response([view(row, today) for row in rows], meta, fields))


@router.get("/{bill_id}", response_model=DataResponse[Bill])
async def get_bill(
    bill_id: uuid.UUID,
    principal: Annotated[Principal, needs("invoices:read")],
    session: TenantSession,
) -> DataResponse[Bill]:
    """One bill with its lines, balance and match status."""
    return DataResponse(data=view(await service.get_bill(session, principal.tenant_id, bill_id)))


@router.patch("/{bill_id}", response_model=DataResponse[Bill])
async def update_bill(
    bill_id: uuid.UUID,
    body: BillPatch,
    principal: Annotated[Principal, needs("invoices:write")],
    session: TenantSession,
    source: EventSource,
) -> DataResponse[Bill]:
    """Change a draft bill; `line_items`, when given, replaces every line."""
    updated = await service.update_bill(session, principal.tenant_id, bill_id, body, source=source)
    return DataResponse(data=view(updated))


@router.delete("/{bill_id}", status_code=204, response_class=Response)
async def delete_bill(
    bill_id: uuid.UUID,
    principal: Annotated[Principal, needs("invoices:delete")],
    session: TenantSession,
    source: EventSource,
) -> Response:
    """Delete a draft bill."""
    await service.delete_bill(session, principal.tenant_id, bill_id, source=source)
    return Response(status_code=204)


@router.post("/{bill_id}/approve", response_model=DataResponse[Bill])
async def approve_bill(
    bill_id: uuid.UUID,
    principal: Annotated[Principal, needs("invoices:write")],
    session: TenantSession,
    source: EventSource,
    body: Annotated[BillApprove | None, Body()] = None,
) -> DataResponse[Bill]:
    """Approve a draft and post it to accounts payable; a match exception needs a reason."""
    approved = await service.approve_bill(
        session,
        principal.tenant_id,
        bill_id,
        body.override_reason if body else None,
        source=source,
        actor=principal.actor,
    )
    return DataResponse(data=view(approved))


@router.post("/{bill_id}/void", response_model=DataResponse[Bill])
async def void_bill(
    bill_id: uuid.UUID,
    principal: Annotated[Principal, needs("invoices:write")],
    session: TenantSession,
    source: EventSource,
    body: Annotated[BillVoid | None, Body()] = None,
) -> DataResponse[Bill]:
    """Void a draft or an unpaid approved bill; an approved bill's posting is reversed."""
    voided = await service.void_bill(
        session,
        principal.tenant_id,
        bill_id,
        body.reason if body else None,
        source=source,
        actor=principal.actor,
    )
    return DataResponse(data=view(voided))
