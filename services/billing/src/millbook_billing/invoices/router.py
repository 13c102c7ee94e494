"""HTTP endpoints for invoices: parse, authorize, delegate."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Body, Depends, Query, Request, Response
from fastapi.responses import JSONResponse, StreamingResponse

from millbook_billing.customers.filters import CustomerFilter
from millbook_billing.invoices import export, service
from millbook_billing.invoices.domain import STATUS_FILTERS, reads_as
from millbook_billing.invoices.repository import InvoiceFilters
from millbook_billing.invoices.schemas import (
    CustomerRef,
    Invoice,
    InvoiceCreate,
    InvoiceLineOut,
    InvoicePatch,
    InvoiceVoid,
    MarkPaid,
)
from millbook_billing.invoices.service import InvoiceWithLines
from millbook_billing.payments import service as payments
from millbook_platform.api_types import CalendarDate, Instant
from millbook_platform.auth import Principal
from millbook_platform.deps import TenantSession, needs
from millbook_platform.errors import ValidationFailed, field_error
from millbook_platform.pagination import (
    DataResponse,
    ListResponse,
    Page,
    list_response,
    parse_fields,
)

router = APIRouter(prefix="/v1/invoices", tags=["invoices"])

StatusFilter = Annotated[
    str | None, Query(description="draft, sent, partial, paid, overdue, voided, or unpaid")
]
Amount = Annotated[Decimal | None, Query(ge=0, max_digits=18, decimal_places=4)]


def view(current: InvoiceWithLines) -> Invoice:
    invoice = current.invoice
    columns = {
        name: getattr(invoice, name)
        for name in Invoice.model_fields
        if name not in ("line_items", "customer")
    }
    today = service.reading_day()
    columns["status"] = reads_as(invoice.status, invoice.due_date, invoice.balance_amount, today)
    lines = [
        InvoiceLineOut.model_validate(
            {
                **{n: getattr(line, n) for n in InvoiceLineOut.model_fields if hasattr(line, n)},
                "currency_code": invoice.currency_code,
                "line_total": line.total_amount,
            }
        )
        for line in current.lines
    ]
    customer = CustomerRef(id=invoice.customer_id, name=invoice.customer_name)
    return Invoice.model_validate({**columns, "customer": customer, "line_items": lines})


@router.post("", status_code=201, response_model=DataResponse[Invoice])
async def create_invoice(
    body: InvoiceCreate,
    principal: Annotated[Principal, needs("invoices:write")],
    session: TenantSession,
) -> DataResponse[Invoice]:
    """Create a draft invoice; line amounts and totals are computed, never sent."""
    created = await service.create_invoice(session, principal.tenant_id, body)
    return DataResponse(data=view(created))


def invoice_filters(
    status: StatusFilter = None,
    customer_id: CustomerFilter = None,
    date_from: CalendarDate | None = None,
    date_to: CalendarDate | None = None,
    min_amount: Amount = None,
    max_amount: Amount = None,
    overdue_only: bool = False,
    search: Annotated[str | None, Query(max_length=200)] = None,
    updated_since: Instant | None = None,
) -> InvoiceFilters:
    """The list's filters (the export takes the same)."""
    if status is not None and status not in STATUS_FILTERS:
        raise ValidationFailed(
            f"Unknown status {status!r}.",
            details=[field_error("status", "choose from " + ", ".join(STATUS_FILTERS))],
        )
    return InvoiceFilters(
        today=service.reading_day(),
        statuses=STATUS_FILTERS[status] if status else None,
        customer_id=customer_id,
        date_from=date_from,
        date_to=date_to,
        min_amount=min_amount,
        max_amount=max_amount,
        overdue_only=overdue_only,
        search=search.strip() if search and search.strip() else None,
        updated_since=updated_since,
    )


Filters = Annotated[InvoiceFilters, Depends(invoice_filters)]


@router.get("", response_model=None, responses={200: {"model": ListResponse[Invoice]}})
async def list_invoices(
    principal: Annotated[Principal, needs("invoices:read")],
    session: TenantSession,
    page: Page,
    filters: Filters,
) -> JSONResponse:
    """List invoices by status, customer, invoice date, total, overdue, text or last change."""
    fields = parse_fields(page.fields, Invoice)
    rows, meta = await service.list_invoices(session, principal.tenant_id, filters, page)
    return JSONResponse(list_response([view(row) for row in rows], meta, fields))


@router.get(
    "/export",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}}, "description": "Every matching invoice."}},
)
async def export_invoices(
    request: Request,
    principal: Annotated[Principal, needs("invoices:read")],
    filters: Filters,
) -> StreamingResponse:
    """Every invoice the list's filters match as CSV, oldest first, streamed in batches from
    a server-side cursor (constant memory however many): number, dates, customer, status,
    currency, subtotal, discount, tax, total, paid, credited, balance."""
    lines = export.csv_stream(request.app.state.sessions, principal.tenant_id, filters)
    return StreamingResponse(
        lines,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="invoices.csv"'},
    )


@router.get("/{invoice_id}", response_model=DataResponse[Invoice])
async def get_invoice(
    invoice_id: uuid.UUID,
    principal: Annotated[Principal, needs("invoices:read")],
    session: TenantSession,
) -> DataResponse[Invoice]:
    """One invoice with its lines, totals and balance."""
    return DataResponse(
        data=view(await service.get_invoice(session, principal.tenant_id, invoice_id))
    )


@router.put("/{invoice_id}", response_model=DataResponse[Invoice])
async def replace_invoice(
    invoice_id: uuid.UUID,
    body: InvoiceCreate,
    principal: Annotated[Principal, needs("invoices:write")],
    session: TenantSession,
) -> DataResponse[Invoice]:
    """Replace a draft's details and lines; an issued invoice is 409 INVALID_TRANSITION."""
    replaced = await service.replace_draft(session, principal.tenant_id, invoice_id, body)
    return DataResponse(data=view(replaced))


@router.patch("/{invoice_id}", response_model=DataResponse[Invoice])
async def patch_invoice(
    invoice_id: uuid.UUID,
    body: InvoicePatch,
    principal: Annotated[Principal, needs("invoices:write")],
    session: TenantSession,
) -> DataResponse[Invoice]:
    """Change some fields of a draft; `line_items`, when given, replaces every line."""
    patched = await service.patch_draft(session, principal.tenant_id, invoice_id, body)
    return DataResponse(data=view(patched))


@router.delete("/{invoice_id}", status_code=204)
async def delete_invoice(
    invoice_id: uuid.UUID,
    principal: Annotated[Principal, needs("invoices:delete")],
    session: TenantSession,
) -> Response:
    """Delete a draft; an issued invoice is voided or credited instead (409)."""
    await service.delete_draft(session, principal.tenant_id, invoice_id)
    return Response(status_code=204)


@router.post("/{invoice_id}/send", response_model=DataResponse[Invoice])
async def send_invoice(
    invoice_id: uuid.UUID,
    principal: Annotated[Principal, needs("invoices:write")],
    session: TenantSession,
) -> DataResponse[Invoice]:
    """Issue a draft: it gets its `INV-YYYY-NNNN` number, is posted, and the inbox emails it."""
    sent = await service.send_invoice(session, principal.tenant_id, invoice_id)
    return DataResponse(data=view(sent))


@router.post("/{invoice_id}/void", response_model=DataResponse[Invoice])
async def void_invoice(
    invoice_id: uuid.UUID,
    principal: Annotated[Principal, needs("invoices:write")],
    session: TenantSession,
    body: Annotated[InvoiceVoid | None, Body()] = None,
) -> DataResponse[Invoice]:
    """Void an issued invoice with nothing paid or credited; its ledger entry is reversed."""
    voided = await service.void_invoice(
        session, principal.tenant_id, invoice_id, body.reason if body else None
    )
    return DataResponse(data=view(voided))


@router.post("/{invoice_id}/mark-paid", response_model=DataResponse[Invoice])
async def mark_paid(
    invoice_id: uuid.UUID,
    principal: Annotated[Principal, needs("invoices:write", "payments:write")],
    session: TenantSession,
    body: Annotated[MarkPaid | None, Body()] = None,
) -> DataResponse[Invoice]:
    """Record a receipt for the invoice's whole balance: it becomes `paid`."""
    await payments.receive_balance(session, principal.tenant_id, invoice_id, body or MarkPaid())
    return DataResponse(
        data=view(await service.get_invoice(session, principal.tenant_id, invoice_id))
    )


@router.get(
    "/{invoice_id}/pdf",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}, "description": "The invoice as PDF."}},
)
async def invoice_pdf(
    invoice_id: uuid.UUID,
    principal: Annotated[Principal, needs("invoices:read")],
    session: TenantSession,
) -> Response:
    """The invoice as a PDF: seller, customer, lines, tax, totals, due date, how to pay."""
    filename, pdf = await service.invoice_pdf(session, principal.tenant_id, invoice_id)
    return Response(
        content=pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{filename}"'},
    )
