"""HTTP endpoints for expenses and their receipts: parse, authorize, delegate."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Annotated

from fastapi import APIRouter, File, Form, Query, Request, Response, UploadFile
from fastapi.responses import JSONResponse, StreamingResponse
from sqlalchemy.ext.asyncio import AsyncSession

from millbook_billing.attachments import service as attachment_service
from millbook_billing.attachments.http import BoundedUploadRoute, download_headers
from millbook_billing.customers.filters import CustomerFilter
from millbook_billing.expenses import rebilling, service
from millbook_billing.expenses.domain import ExpenseCategory, ExpenseStatus
from millbook_billing.expenses.repository import ExpenseFilters
from millbook_billing.expenses.schemas import (
    AttachmentOut,
    BillableExpensesRequest,
    BilledExpenses,
    Expense,
    ExpenseCreate,
    ExpenseRejection,
    ExpenseUpdate,
)
from millbook_billing.models import Expense as ExpenseRow
from millbook_platform.api_types import CalendarDate
from millbook_platform.auth import Principal
from millbook_platform.deps import EventSource, TenantSession, needs
from millbook_platform.pagination import (
    DataResponse,
    ListResponse,
    Page,
    list_response,
    parse_fields,
    require_ordered,
)

attachment_routes = APIRouter(tags=["expenses"], route_class=BoundedUploadRoute)
expense_routes = APIRouter(tags=["expenses"])
invoice_routes = APIRouter(tags=["expenses"])


@attachment_routes.post("", status_code=201, response_model=DataResponse[AttachmentOut])
async def upload_attachment(
    file: Annotated[UploadFile, File(description="A PDF, PNG or JPEG receipt, at most 10 MB.")],
    principal: Annotated[Principal, needs("expenses:write")],
    session: TenantSession,
    expense_id: Annotated[uuid.UUID | None, Form()] = None,
) -> DataResponse[AttachmentOut]:
    """Upload a receipt (judged by its content, not its name), optionally to a pending expense."""
    attachment = await service.upload_attachment(session, principal.tenant_id, file, expense_id)
    return DataResponse(data=AttachmentOut.model_validate(attachment))


@attachment_routes.get(
    "", response_model=None, responses={200: {"model": ListResponse[AttachmentOut]}}
)
async def list_attachments(
    principal: Annotated[Principal, needs("expenses:read")],
    session: TenantSession,
    page: Page,
    expense_id: uuid.UUID | None = None,
) -> JSONResponse:
    """List uploaded receipts, newest first, optionally of one expense."""
    fields = parse_fields(page.fields, AttachmentOut)
    rows, meta = await attachment_service.list_attachments(
        session, principal.tenant_id, page, purpose=service.PURPOSE, expense_id=expense_id
    )
    items = [AttachmentOut.model_validate(row) for row in rows]
    return JSONResponse(list_response(items, meta, fields))


@attachment_routes.get(
    "/{attachment_id}",
    response_class=StreamingResponse,
    responses={200: {"content": {"application/pdf": {}, "image/png": {}, "image/jpeg": {}}}},
)
async def download_attachment(
    attachment_id: uuid.UUID,
    request: Request,
    principal: Annotated[Principal, needs("expenses:read")],
    session: TenantSession,
) -> StreamingResponse:
    """Download a receipt's bytes with its media type and file name."""
    attachment = await attachment_service.get_attachment(
        session, principal.tenant_id, attachment_id, purpose=service.PURPOSE
    )
    return StreamingResponse(
        attachment_service.stream_content(request.app.state.sessions, attachment),
        media_type=attachment.media_type,
        headers=download_headers(attachment),
    )


@attachment_routes.delete("/{attachment_id}", status_code=204, response_class=Response)
async def delete_attachment(
    attachment_id: uuid.UUID,
    principal: Annotated[Principal, needs("expenses:delete")],
    session: TenantSession,
) -> Response:
    """Delete a receipt that is not linked to an approved or rejected expense."""
    await service.delete_attachment(session, principal.tenant_id, attachment_id)
    return Response(status_code=204)


@expense_routes.post("", status_code=201, response_model=DataResponse[Expense])
async def create_expense(
    body: ExpenseCreate,
    principal: Annotated[Principal, needs("expenses:write")],
    session: TenantSession,
    source: EventSource,
) -> DataResponse[Expense]:
    """Record an expense; it waits as `pending` until approved or rejected."""
    expense = await service.create_expense(
        session, principal.tenant_id, body, actor=principal.actor, source=source
    )
    return DataResponse(data=await _one(session, expense))


@expense_routes.get("", response_model=None, responses={200: {"model": ListResponse[Expense]}})
async def list_expenses(
    principal: Annotated[Principal, needs("expenses:read")],
    session: TenantSession,
    page: Page,
    status: ExpenseStatus | None = None,
    category: ExpenseCategory | None = None,
    date_from: CalendarDate | None = None,
    date_to: CalendarDate | None = None,
    is_billable: bool | None = None,
    customer_id: CustomerFilter = None,
    search: Annotated[
        str | None, Query(max_length=200, description="Description, vendor or receipt number.")
    ] = None,
) -> JSONResponse:
    """List expenses, newest first, by status, category, date range, billability and customer."""
    require_ordered(date_from, date_to, "date_from", "date_to")
    fields = parse_fields(page.fields, Expense)
    filters = ExpenseFilters(
        status=status.value if status else None,
        category=category.value if category else None,
        date_from=date_from,
        date_to=date_to,
        is_billable=is_billable,
        customer_id=customer_id,
        search=search,
    )
    rows, meta = await service.list_expenses(session, principal.tenant_id, filters, page)
    return JSONResponse(list_response(await _many(session, rows), meta, fields))


@expense_routes.get("/{expense_id}", response_model=DataResponse[Expense])
async def get_expense(
    expense_id: uuid.UUID,
    principal: Annotated[Principal, needs("expenses:read")],
    session: TenantSession,
) -> DataResponse[Expense]:
    """One expense with its attachments."""
    expense = await service.get_expense(session, principal.tenant_id, expense_id)
    return DataResponse(data=await _one(session, expense))


@expense_routes.put("/{expense_id}", response_model=DataResponse[Expense])
async def replace_expense(
    expense_id: uuid.UUID,
    body: ExpenseCreate,
    principal: Annotated[Principal, needs("expenses:write")],
    session: TenantSession,
    source: EventSource,
) -> DataResponse[Expense]:
    """Replace a pending expense; omitted fields return to their defaults."""
    expense = await service.replace_expense(
        session, principal.tenant_id, expense_id, body, source=source
    )
    return DataResponse(data=await _one(session, expense))


@expense_routes.patch("/{expense_id}", response_model=DataResponse[Expense])
async def update_expense(
    expense_id: uuid.UUID,
    body: ExpenseUpdate,
    principal: Annotated[Principal, needs("expenses:write")],
    session: TenantSession,
    source: EventSource,
) -> DataResponse[Expense]:
    """Change only the fields sent of a pending expense."""
    expense = await service.update_expense(
        session, principal.tenant_id, expense_id, body, source=source
    )
    return DataResponse(data=await _one(session, expense))


@expense_routes.delete("/{expense_id}", status_code=204, response_class=Response)
async def delete_expense(
    expense_id: uuid.UUID,
    principal: Annotated[Principal, needs("expenses:delete")],
    session: TenantSession,
    source: EventSource,
) -> Response:
    """Delete a pending expense and its attachments."""
    await service.delete_expense(session, principal.tenant_id, expense_id, source=source)
    return Response(status_code=204)


@expense_routes.post("/{expense_id}/approve", response_model=DataResponse[Expense])
async def approve_expense(
    expense_id: uuid.UUID,
    principal: Annotated[Principal, needs("expenses:write")],
    session: TenantSession,
    source: EventSource,
) -> DataResponse[Expense]:
    """Approve a pending expense and post it to the ledger."""
    expense = await service.approve_expense(
        session, principal.tenant_id, expense_id, actor=principal.actor, source=source
    )
    return DataResponse(data=await _one(session, expense))


@expense_routes.post("/{expense_id}/reject", response_model=DataResponse[Expense])
async def reject_expense(
    expense_id: uuid.UUID,
    body: ExpenseRejection,
    principal: Annotated[Principal, needs("expenses:write")],
    session: TenantSession,
    source: EventSource,
) -> DataResponse[Expense]:
    """Reject a pending expense with a reason; nothing is posted."""
    expense = await service.reject_expense(
        session,
        principal.tenant_id,
        expense_id,
        body.reason,
        actor=principal.actor,
        source=source,
    )
    return DataResponse(data=await _one(session, expense))


@invoice_routes.post("/{invoice_id}/billable-expenses", response_model=DataResponse[BilledExpenses])
async def bill_expenses(
    invoice_id: uuid.UUID,
    body: BillableExpensesRequest,
    principal: Annotated[Principal, needs("invoices:write", "expenses:read")],
    session: TenantSession,
    source: EventSource,
) -> DataResponse[BilledExpenses]:
    """Add approved billable expenses of the invoice's customer to the draft, once each."""
    expenses = await rebilling.bill_expenses(
        session,
        principal.tenant_id,
        invoice_id,
        body.expense_ids,
        actor=principal.actor,
        source=source,
    )
    return DataResponse(
        data=BilledExpenses(invoice_id=invoice_id, expenses=await _many(session, expenses))
    )


async def _one(session: AsyncSession, expense: ExpenseRow) -> Expense:
    return (await _many(session, [expense]))[0]


async def _many(session: AsyncSession, rows: Sequence[ExpenseRow]) -> list[Expense]:
    if not rows:
        return []
    found = await service.attachments_of(session, rows[0].tenant_id, [row.id for row in rows])
    return [
        Expense.model_validate(row).model_copy(
            update={"attachments": [AttachmentOut.model_validate(a) for a in found[row.id]]}
        )
        for row in rows
    ]


router = APIRouter()
# Receipts first: `/v1/expenses/attachments` must not be read as an expense id.
router.include_router(attachment_routes, prefix="/v1/expenses/attachments")
router.include_router(expense_routes, prefix="/v1/expenses")
router.include_router(invoice_routes, prefix="/v1/invoices")
