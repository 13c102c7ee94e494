"""HTTP endpoints for credit notes: parse, authorize, delegate."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse

from millbook_billing.credit_notes import credit, service
from millbook_billing.credit_notes.domain import available_credit
from millbook_billing.credit_notes.repository import CreditNoteFilters
from millbook_billing.credit_notes.schemas import CreditNote, CreditNoteCreate, CreditNoteLineOut
from millbook_billing.credit_notes.service import CreditNoteWithLines
from millbook_billing.customers.filters import CustomerFilter
from millbook_billing.payments.router import view as payment_view
from millbook_billing.payments.schemas import AllocateCredit, Payment, RefundCreate
from millbook_platform.api_types import CalendarDate
from millbook_platform.auth import Principal
from millbook_platform.deps import TenantSession, needs
from millbook_platform.pagination import (
    DataResponse,
    ListResponse,
    Page,
    list_response,
    parse_fields,
)

router = APIRouter(prefix="/v1/credit-notes", tags=["credit notes"])


def view(current: CreditNoteWithLines) -> CreditNote:
    note = current.note
    columns = {
        name: getattr(note, name)
        for name in CreditNote.model_fields
        if name not in ("line_items", "available_credit")
    }
    lines = [
        CreditNoteLineOut.model_validate(
            {
                **{n: getattr(line, n) for n in CreditNoteLineOut.model_fields if hasattr(line, n)},
                "currency_code": note.currency_code,
                "line_total": line.total_amount,
            }
        )
        for line in current.lines
    ]
    return CreditNote.model_validate(
        {**columns, "line_items": lines, "available_credit": available_credit(note)}
    )


@router.post("", status_code=201, response_model=DataResponse[CreditNote])
async def issue_credit_note(
    body: CreditNoteCreate,
    principal: Annotated[Principal, needs("invoices:write")],
    session: TenantSession,
) -> DataResponse[CreditNote]:
    """Credit an issued invoice in part or in full; it gets its `CN-YYYY-NNNN` number."""
    issued = await service.issue_credit_note(session, principal.tenant_id, body)
    return DataResponse(data=view(issued))


@router.get("", response_model=None, responses={200: {"model": ListResponse[CreditNote]}})
async def list_credit_notes(
    principal: Annotated[Principal, needs("invoices:read")],
    session: TenantSession,
    page: Page,
    invoice_id: uuid.UUID | None = None,
    customer_id: CustomerFilter = None,
    date_from: CalendarDate | None = None,
    date_to: CalendarDate | None = None,
) -> JSONResponse:
    """List credit notes by invoice, customer and credit date range."""
    fields = parse_fields(page.fields, CreditNote)
    filters = CreditNoteFilters(
        invoice_id=invoice_id, customer_id=customer_id, date_from=date_from, date_to=date_to
    )
    rows, meta = await service.list_credit_notes(session, principal.tenant_id, filters, page)
    return JSONResponse(list_response([view(row) for row in rows], meta, fields))


@router.get("/{credit_note_id}", response_model=DataResponse[CreditNote])
async def get_credit_note(
    credit_note_id: uuid.UUID,
    principal: Annotated[Principal, needs("invoices:read")],
    session: TenantSession,
) -> DataResponse[CreditNote]:
    """One credit note with its lines and where its amount went."""
    note = await service.get_credit_note(session, principal.tenant_id, credit_note_id)
    return DataResponse(data=view(note))


@router.get(
    "/{credit_note_id}/pdf",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}, "description": "The credit note as PDF."}},
)
async def credit_note_pdf(
    credit_note_id: uuid.UUID,
    principal: Annotated[Principal, needs("invoices:read")],
    session: TenantSession,
) -> Response:
    """The credit note as a PDF: seller, customer, the invoice it credits, lines, totals."""
    filename, pdf = await service.credit_note_pdf(session, principal.tenant_id, credit_note_id)
    return Response(
        content=pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{filename}"'},
    )


@router.post("/{credit_note_id}/allocate", response_model=DataResponse[CreditNote])
async def allocate_credit(
    credit_note_id: uuid.UUID,
    body: AllocateCredit,
    principal: Annotated[Principal, needs("invoices:write")],
    session: TenantSession,
) -> DataResponse[CreditNote]:
    """Apply the credit a credit note left to open invoices of the same customer."""
    note = await credit.allocate_credit(session, principal.tenant_id, credit_note_id, body)
    return DataResponse(data=view(note))


@router.post("/{credit_note_id}/refund", status_code=201, response_model=DataResponse[Payment])
async def refund_credit(
    credit_note_id: uuid.UUID,
    body: RefundCreate,
    principal: Annotated[Principal, needs("payments:write")],
    session: TenantSession,
) -> DataResponse[Payment]:
    """Pay back the credit a credit note left; returns the refund payment."""
    refund = await credit.refund_credit(session, principal.tenant_id, credit_note_id, body)
    return DataResponse(data=payment_view(refund))
