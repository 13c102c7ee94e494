"""HTTP endpoints for recurring invoice schedules."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse

from millbook_billing.customers.filters import CustomerFilter
from millbook_billing.invoices.schemas import InvoiceLineOut
from millbook_billing.recurring import service
from millbook_billing.recurring.domain import ScheduleStatus
from millbook_billing.recurring.schemas import (
    RecurringInvoice,
    RecurringInvoiceCreate,
    RecurringInvoicePatch,
)
from millbook_billing.recurring.service import ScheduleWithLines
from millbook_platform.auth import Principal
from millbook_platform.deps import TenantSession, needs
from millbook_platform.pagination import (
    DataResponse,
    ListResponse,
    Page,
    list_response,
    parse_fields,
)

router = APIRouter(prefix="/v1/recurring-invoices", tags=["recurring invoices"])


def view(current: ScheduleWithLines) -> RecurringInvoice:
    schedule = current.schedule
    columns = {
        name: getattr(schedule, name)
        for name in RecurringInvoice.model_fields
        if name != "line_items"
    }
    lines = [
        InvoiceLineOut.model_validate(
            {
                **{n: getattr(line, n) for n in InvoiceLineOut.model_fields if hasattr(line, n)},
                "currency_code": schedule.currency_code,
                "line_total": line.total_amount,
            }
        )
        for line in current.lines
    ]
    return RecurringInvoice.model_validate({**columns, "line_items": lines})


@router.post("", status_code=201, response_model=DataResponse[RecurringInvoice])
async def create_schedule(
    body: RecurringInvoiceCreate,
    principal: Annotated[Principal, needs("invoices:write")],
    session: TenantSession,
) -> DataResponse[RecurringInvoice]:
    """Start a schedule: an invoice from this template every interval from `start_date`."""
    created = await service.create_schedule(session, principal.tenant_id, body)
    return DataResponse(data=view(created))


@router.get("", response_model=None, responses={200: {"model": ListResponse[RecurringInvoice]}})
async def list_schedules(
    principal: Annotated[Principal, needs("invoices:read")],
    session: TenantSession,
    page: Page,
    status: ScheduleStatus | None = None,
    customer_id: CustomerFilter = None,
) -> JSONResponse:
    """List schedules by status and customer."""
    fields = parse_fields(page.fields, RecurringInvoice)
    rows, meta = await service.list_schedules(
        session,
        principal.tenant_id,
        page,
        status=status.value if status else None,
        customer_id=customer_id,
    )
    return JSONResponse(list_response([view(row) for row in rows], meta, fields))


@router.get("/{schedule_id}", response_model=DataResponse[RecurringInvoice])
async def get_schedule(
    schedule_id: uuid.UUID,
    principal: Annotated[Principal, needs("invoices:read")],
    session: TenantSession,
) -> DataResponse[RecurringInvoice]:
    """One schedule with its template lines and next date."""
    return DataResponse(
        data=view(await service.get_schedule(session, principal.tenant_id, schedule_id))
    )


@router.patch("/{schedule_id}", response_model=DataResponse[RecurringInvoice])
async def patch_schedule(
    schedule_id: uuid.UUID,
    body: RecurringInvoicePatch,
    principal: Annotated[Principal, needs("invoices:write")],
    session: TenantSession,
) -> DataResponse[RecurringInvoice]:
    """Change the template, terms, end, mode, or pause and resume the schedule."""
    patched = await service.patch_schedule(session, principal.tenant_id, schedule_id, body)
    return DataResponse(data=view(patched))


@router.delete("/{schedule_id}", status_code=204)
async def delete_schedule(
    schedule_id: uuid.UUID,
    principal: Annotated[Principal, needs("invoices:delete")],
    session: TenantSession,
) -> Response:
    """Delete a schedule; the invoices it made stay."""
    await service.delete_schedule(session, principal.tenant_id, schedule_id)
    return Response(status_code=204)
