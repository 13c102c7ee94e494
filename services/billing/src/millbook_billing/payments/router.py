"""HTTP endpoints for payments: receipts, supplier payments, allocation of credit, refunds."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from millbook_billing.customers.filters import CustomerFilter
from millbook_billing.payments import service, supplier_payments
from millbook_billing.payments.domain import unapplied
from millbook_billing.payments.repository import PaymentFilters
from millbook_billing.payments.schemas import (
    AllocateCredit,
    AllocationOut,
    Payment,
    PaymentCreate,
    RefundCreate,
)
from millbook_billing.payments.service import PaymentWithAllocations
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

router = APIRouter(prefix="/v1/payments", tags=["payments"])


def view(current: PaymentWithAllocations) -> Payment:
    payment = current.payment
    columns = {
        name: getattr(payment, name)
        for name in Payment.model_fields
        if name not in ("allocations", "unapplied_amount")
    }
    allocations = [
        AllocationOut.model_validate(
            {
                **{n: getattr(row, n) for n in AllocationOut.model_fields if hasattr(row, n)},
                "currency_code": payment.currency_code,
            }
        )
        for row in current.allocations
    ]
    return Payment.model_validate(
        {**columns, "allocations": allocations, "unapplied_amount": unapplied(payment)}
    )


@router.post("", status_code=201, response_model=DataResponse[Payment])
async def record_payment(
    body: PaymentCreate,
    principal: Annotated[Principal, needs("payments:write")],
    session: TenantSession,
) -> DataResponse[Payment]:
    """Record a customer receipt or a supplier payment, allocated to invoices or bills."""
    if body.payment_type == "receipt":
        recorded = await service.receive(session, principal.tenant_id, body)
    else:
        recorded = await supplier_payments.pay_supplier(session, principal.tenant_id, body)
    return DataResponse(data=view(recorded))


@router.get("", response_model=None, responses={200: {"model": ListResponse[Payment]}})
async def list_payments(
    principal: Annotated[Principal, needs("payments:read")],
    session: TenantSession,
    page: Page,
    type: Literal["receipt", "payment", "refund"] | None = None,
    customer_id: CustomerFilter = None,
    supplier_id: uuid.UUID | None = None,
    date_from: CalendarDate | None = None,
    date_to: CalendarDate | None = None,
) -> JSONResponse:
    """List payments by type, customer, supplier and payment date range."""
    fields = parse_fields(page.fields, Payment)
    filters = PaymentFilters(
        payment_type=type,
        customer_id=customer_id,
        supplier_id=supplier_id,
        date_from=date_from,
        date_to=date_to,
    )
    rows, meta = await service.list_payments(session, principal.tenant_id, filters, page)
    return JSONResponse(list_response([view(row) for row in rows], meta, fields))


@router.get("/{payment_id}", response_model=DataResponse[Payment])
async def get_payment(
    payment_id: uuid.UUID,
    principal: Annotated[Principal, needs("payments:read")],
    session: TenantSession,
) -> DataResponse[Payment]:
    """One payment with its allocations and unapplied credit."""
    return DataResponse(
        data=view(await service.get_payment(session, principal.tenant_id, payment_id))
    )


@router.post("/{payment_id}/allocate", response_model=DataResponse[Payment])
async def allocate_credit(
    payment_id: uuid.UUID,
    body: AllocateCredit,
    principal: Annotated[Principal, needs("payments:write")],
    session: TenantSession,
) -> DataResponse[Payment]:
    """Allocate a receipt's unapplied credit to open invoices of the same customer."""
    allocated = await service.allocate_credit(session, principal.tenant_id, payment_id, body)
    return DataResponse(data=view(allocated))


@router.post("/{payment_id}/refund", status_code=201, response_model=DataResponse[Payment])
async def refund_payment(
    payment_id: uuid.UUID,
    body: RefundCreate,
    principal: Annotated[Principal, needs("payments:write")],
    session: TenantSession,
) -> DataResponse[Payment]:
    """Refund part or all of a receipt's unapplied credit; returns the refund payment."""
    refunded = await service.refund(session, principal.tenant_id, payment_id, body)
    return DataResponse(data=view(refunded))
