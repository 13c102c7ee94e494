"""HTTP endpoints for customers (also served as `/v1/clients`): parse, authorize, delegate."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response
from fastapi.responses import JSONResponse

from millbook_platform.api_types import Instant, InstantUntil
from millbook_platform.auth import Principal
from millbook_platform.deps import TenantSession, needs
from millbook_platform.pagination import (
    DataResponse,
    ListResponse,
    Page,
    list_response,
    parse_fields,
)
from millbook_sales.customers import service
from millbook_sales.customers.bulk_router import routes as bulk_routes
from millbook_sales.customers.domain import CustomerStatus
from millbook_sales.customers.repository import CustomerFilters
from millbook_sales.customers.schemas import Customer, CustomerCreate, CustomerUpdate
from millbook_sales.deps import SalesSettings

routes = APIRouter(tags=["customers"])


@routes.post("", status_code=201, response_model=DataResponse[Customer])
async def create_customer(
    body: CustomerCreate,
    principal: Annotated[Principal, needs("customers:write")],
    session: TenantSession,
    settings: SalesSettings,
) -> DataResponse[Customer]:
    """Create a customer; without a `customer_code` it gets the next `CUST-0001` style code."""
    customer = await service.create_customer(
        session, principal.tenant_id, body, source=settings.source
    )
    return DataResponse(data=Customer.model_validate(customer))


@routes.get("", response_model=None, responses={200: {"model": ListResponse[Customer]}})
async def list_customers(
    principal: Annotated[Principal, needs("customers:read")],
    session: TenantSession,
    page: Page,
    status: CustomerStatus | None = None,
    segment: Annotated[str | None, Query(max_length=50)] = None,
    search: Annotated[
        str | None,
        Query(max_length=200, description="Name, code, email or company; forgives typos."),
    ] = None,
    created_at__gte: Instant | None = None,
    created_at__lte: InstantUntil | None = None,
) -> JSONResponse:
    """List customers, newest first, by status, segment, a search term and creation time."""
    fields = parse_fields(page.fields, Customer)
    filters = CustomerFilters(
        status=status.value if status else None,
        segment=segment,
        search=search,
        created_from=created_at__gte,
        created_to=created_at__lte,
    )
    rows, meta = await service.list_customers(session, principal.tenant_id, filters, page)
    items = [Customer.model_validate(row) for row in rows]
    return JSONResponse(list_response(items, meta, fields))


@routes.get("/{customer_id}", response_model=DataResponse[Customer])
async def get_customer(
    customer_id: uuid.UUID,
    principal: Annotated[Principal, needs("customers:read")],
    session: TenantSession,
) -> DataResponse[Customer]:
    """One customer of the caller's organization."""
    customer = await service.get_customer(session, principal.tenant_id, customer_id)
    return DataResponse(data=Customer.model_validate(customer))


@routes.put("/{customer_id}", response_model=DataResponse[Customer])
async def replace_customer(
    customer_id: uuid.UUID,
    body: CustomerCreate,
    principal: Annotated[Principal, needs("customers:write")],
    session: TenantSession,
    settings: SalesSettings,
) -> DataResponse[Customer]:
    """Replace a customer's details; omitted fields return to their defaults, the code stays."""
    customer = await service.replace_customer(
        session, principal.tenant_id, customer_id, body, source=settings.source
    )
    return DataResponse(data=Customer.model_validate(customer))


@routes.patch("/{customer_id}", response_model=DataResponse[Customer])
async def update_customer(
    customer_id: uuid.UUID,
    body: CustomerUpdate,
    principal: Annotated[Principal, needs("customers:write")],
    session: TenantSession,
    settings: SalesSettings,
) -> DataResponse[Customer]:
    """Change only the fields sent; setting `status` to inactive archives the customer."""
    customer = await service.update_customer(
        session, principal.tenant_id, customer_id, body, source=settings.source
    )
    return DataResponse(data=Customer.model_validate(customer))


@routes.post("/{customer_id}/archive", response_model=DataResponse[Customer])
async def archive_customer(
    customer_id: uuid.UUID,
    principal: Annotated[Principal, needs("customers:write")],
    session: TenantSession,
    settings: SalesSettings,
) -> DataResponse[Customer]:
    """Archive a customer (status inactive): history stays, no new business is offered."""
    customer = await service.archive_customer(
        session, principal.tenant_id, customer_id, source=settings.source
    )
    return DataResponse(data=Customer.model_validate(customer))


@routes.delete("/{customer_id}", status_code=204, response_class=Response)
async def delete_customer(
    customer_id: uuid.UUID,
    principal: Annotated[Principal, needs("customers:write")],
    session: TenantSession,
    settings: SalesSettings,
) -> Response:
    """Delete a customer; refused with 409 while it has open quotations or orders."""
    await service.delete_customer(session, principal.tenant_id, customer_id, source=settings.source)
    return Response(status_code=204)


router = APIRouter()
# Bulk paths first: `/export` must not be taken for a customer id.
router.include_router(bulk_routes, prefix="/v1/customers")
router.include_router(bulk_routes, prefix="/v1/clients", include_in_schema=False)
router.include_router(routes, prefix="/v1/customers")
router.include_router(routes, prefix="/v1/clients", include_in_schema=False)
