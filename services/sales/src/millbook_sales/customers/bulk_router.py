"""HTTP endpoints for customers in bulk: batch create, CSV import and CSV export.

Batch: `POST /v1/customers/batch` with `{"items": [...]}` (at most 100). Without
`atomic` the answer is 207 Multi-Status, one result per item (`index`, `status`,
`data` or `error`), and the valid items are created. With `?atomic=true` it is 201
when every item was created, else 422 naming each failing item and nothing written.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Query, Request, UploadFile
from fastapi.responses import JSONResponse, StreamingResponse

from millbook_platform.api_types import Instant, InstantUntil
from millbook_platform.auth import Principal
from millbook_platform.deps import TenantSession, needs
from millbook_platform.pagination import DataResponse
from millbook_sales.customers import csv_format, transfer
from millbook_sales.customers.batch import BatchRequest, BatchResponse, create_each, respond
from millbook_sales.customers.domain import CustomerStatus
from millbook_sales.customers.repository import CustomerFilters
from millbook_sales.customers.schemas import Customer, CustomerCreate
from millbook_sales.customers.service import create_customer
from millbook_sales.deps import SalesSettings
from millbook_sales.models import Customer as CustomerRow
from millbook_sales.tenants.service import currencies_of

routes = APIRouter(tags=["customers"])

Atomic = Annotated[bool, Query(description="All or nothing: any failure writes nothing (422).")]


@routes.post(
    "/batch",
    status_code=207,
    response_model=BatchResponse[Customer],
    responses={201: {"model": BatchResponse[Customer], "description": "Atomic: all created."}},
)
async def create_customers_batch(
    body: BatchRequest,
    principal: Annotated[Principal, needs("customers:write")],
    session: TenantSession,
    settings: SalesSettings,
    atomic: Atomic = False,
) -> JSONResponse:
    """Create up to 100 customers; 207 with a result per item, or all-or-nothing when atomic."""
    currencies = await currencies_of(session, principal.tenant_id)

    async def create(item: CustomerCreate) -> CustomerRow:
        return await create_customer(
            session, principal.tenant_id, item, source=settings.source, currencies=currencies
        )

    outcomes = await create_each(session, body.items, CustomerCreate, create)
    result = respond(outcomes, Customer.model_validate, atomic=atomic)
    return JSONResponse(result.model_dump(mode="json"), status_code=201 if atomic else 207)


IMPORT_FORMAT = (
    "Multipart field `file`: UTF-8 CSV, at most 10,000 rows. The header row names the "
    "columns, in any order: `name` (required) and any of "
    + ", ".join(f"`{column}`" for column in csv_format.COLUMNS if column != "name")
    + ". Addresses take one column per part; `tags` are separated by `;`; an empty cell "
    "means the field's default. Rows are numbered as in a spreadsheet (the header is row "
    "1). Valid rows are created and rejected ones listed in `errors` with `row`, `field` "
    "and `message`; with `atomic=true` one bad row rejects the file (422, nothing "
    "written). An unknown, repeated or missing column is a 422 naming it. "
    "`GET /v1/customers/export` writes the same columns."
)


@routes.post(
    "/import", response_model=DataResponse[transfer.ImportReport], description=IMPORT_FORMAT
)
async def import_customers(
    file: Annotated[UploadFile, File(description="CSV, UTF-8, header row of column names.")],
    principal: Annotated[Principal, needs("customers:write")],
    session: TenantSession,
    settings: SalesSettings,
    atomic: Atomic = False,
) -> DataResponse[transfer.ImportReport]:
    """Import customers from CSV (the export's columns); bad rows are reported by number."""
    content = await file.read(transfer.MAX_BYTES + 1)
    report = await transfer.import_customers(
        session, principal.tenant_id, content, atomic=atomic, source=settings.source
    )
    return DataResponse(data=report)


@routes.get(
    "/export",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}}, "description": "The customers as CSV."}},
)
async def export_customers(
    request: Request,
    principal: Annotated[Principal, needs("customers:read")],
    status: CustomerStatus | None = None,
    segment: Annotated[str | None, Query(max_length=50)] = None,
    search: Annotated[str | None, Query(max_length=200)] = None,
    created_at__gte: Instant | None = None,
    created_at__lte: InstantUntil | None = None,
) -> StreamingResponse:
    """Stream the customers the list's filters select as CSV, in the columns import reads."""
    filters = CustomerFilters(
        status=status.value if status else None,
        segment=segment,
        search=search,
        created_from=created_at__gte,
        created_to=created_at__lte,
    )
    chunks = transfer.export_csv(request.app.state.sessions, principal.tenant_id, filters)
    return StreamingResponse(
        chunks,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="customers.csv"'},
    )
