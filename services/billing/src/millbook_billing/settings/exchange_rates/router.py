"""HTTP endpoints for the tenant's exchange rates to its base currency."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse

from millbook_billing.models import ExchangeRate as ExchangeRateRow
from millbook_billing.settings.exchange_rates import service
from millbook_billing.settings.exchange_rates.documents import RATES_PATH
from millbook_billing.settings.exchange_rates.schemas import (
    ExchangeRate,
    ExchangeRateIn,
    ExchangeRateSet,
)
from millbook_platform.api_types import CalendarDate, CurrencyCode
from millbook_platform.auth import Principal
from millbook_platform.deps import TenantSession, needs
from millbook_platform.pagination import (
    DataResponse,
    ListResponse,
    Page,
    list_response,
    parse_fields,
)

router = APIRouter(prefix=RATES_PATH, tags=["billing settings"])


def view(row: ExchangeRateRow, base: str) -> ExchangeRate:
    columns = {name: getattr(row, name) for name in ExchangeRate.model_fields if hasattr(row, name)}
    return ExchangeRate.model_validate({**columns, "base_currency": base})


@router.get("", response_model=None, responses={200: {"model": ListResponse[ExchangeRate]}})
async def list_exchange_rates(
    principal: Annotated[Principal, needs("invoices:read")],
    session: TenantSession,
    page: Page,
    currency_code: CurrencyCode | None = None,
) -> JSONResponse:
    """List the exchange rates, by currency and newest effective date first."""
    fields = parse_fields(page.fields, ExchangeRate)
    rows, meta, base = await service.list_rates(session, principal.tenant_id, currency_code, page)
    return JSONResponse(list_response([view(row, base) for row in rows], meta, fields))


@router.put("/{currency_code}/{effective_date}", response_model=DataResponse[ExchangeRateSet])
async def put_exchange_rate(
    currency_code: CurrencyCode,
    effective_date: CalendarDate,
    body: ExchangeRateIn,
    principal: Annotated[Principal, needs("invoices:write")],
    session: TenantSession,
) -> DataResponse[ExchangeRateSet]:
    """Set a currency's rate from a date on; goods receipts waiting for it are posted."""
    done = await service.set_rate(
        session, principal.tenant_id, currency_code, effective_date, body.rate
    )
    rate = view(done.rate, done.base_currency)
    data = ExchangeRateSet(**dict(rate), receipts_posted=done.receipts_posted)
    return DataResponse(data=data)


@router.delete("/{currency_code}/{effective_date}", status_code=204)
async def delete_exchange_rate(
    currency_code: CurrencyCode,
    effective_date: CalendarDate,
    principal: Annotated[Principal, needs("invoices:write")],
    session: TenantSession,
) -> Response:
    """Remove a rate; receipts already booked at it keep their booking."""
    await service.delete_rate(session, principal.tenant_id, currency_code, effective_date)
    return Response(status_code=204)
