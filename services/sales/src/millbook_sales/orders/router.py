"""HTTP endpoints for orders: parse, authorize, delegate."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Body
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
from millbook_sales.orders import service
from millbook_sales.orders.domain import OrderStatus
from millbook_sales.orders.schemas import Order, OrderCancel, OrderCreate
from millbook_sales.orders.service import OrderWithLines
from millbook_sales.quotations.schemas import line_view

router = APIRouter(prefix="/v1/orders", tags=["orders"])


def view(current: OrderWithLines) -> Order:
    order = current.order
    columns = {name: getattr(order, name) for name in Order.model_fields if name != "line_items"}
    lines = [line_view(line, order.currency_code) for line in current.lines]
    return Order.model_validate({**columns, "line_items": lines})


@router.post("", status_code=201, response_model=DataResponse[Order])
async def create_order(
    body: OrderCreate,
    principal: Annotated[Principal, needs("orders:write")],
    session: TenantSession,
    settings: SalesSettings,
) -> DataResponse[Order]:
    """Confirm an order from an accepted quotation, copying its lines and totals."""
    order = await service.create_order(session, principal.tenant_id, body, source=settings.source)
    return DataResponse(data=view(order))


@router.get("", response_model=None, responses={200: {"model": ListResponse[Order]}})
async def list_orders(
    principal: Annotated[Principal, needs("orders:read")],
    session: TenantSession,
    page: Page,
    status: OrderStatus | None = None,
    customer_id: uuid.UUID | None = None,
) -> JSONResponse:
    """List orders by status or customer."""
    fields = parse_fields(page.fields, Order)
    rows, meta = await service.list_orders(
        session, principal.tenant_id, status.value if status else None, customer_id, page
    )
    return JSONResponse(list_response([view(row) for row in rows], meta, fields))


@router.get("/{order_id}", response_model=DataResponse[Order])
async def get_order(
    order_id: uuid.UUID,
    principal: Annotated[Principal, needs("orders:read")],
    session: TenantSession,
) -> DataResponse[Order]:
    """One order with its lines and totals."""
    return DataResponse(data=view(await service.get_order(session, principal.tenant_id, order_id)))


def _step_endpoint(action: str, summary: str) -> None:
    async def step(
        order_id: uuid.UUID,
        principal: Annotated[Principal, needs("orders:write")],
        session: TenantSession,
        settings: SalesSettings,
        body: Annotated[OrderCancel | None, Body()] = None,
    ) -> DataResponse[Order]:
        reason = body.reason if body else None
        order = await service.advance_order(
            session, principal.tenant_id, order_id, action, reason=reason, source=settings.source
        )
        return DataResponse(data=view(order))

    step.__doc__ = summary
    step.__name__ = f"{action.replace('-', '_')}_order"
    router.add_api_route(
        f"/{{order_id}}/{action}", step, methods=["POST"], response_model=DataResponse[Order]
    )


_step_endpoint("start-production", "Move a confirmed order into production.")
_step_endpoint("ship", "Mark an order in production as shipped.")
_step_endpoint("complete", "Complete a shipped order; billing invoices it from the event.")
_step_endpoint("cancel", "Cancel an order that has not shipped, optionally with a reason.")
