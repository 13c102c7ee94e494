"""Financial reports over the ledger (`reports:read`); each also as CSV with `?format=csv`."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse

from millbook_billing.customers.filters import CustomerFilter
from millbook_billing.reports import exports, service
from millbook_billing.reports.domain import PeriodKind
from millbook_billing.reports.schemas import (
    AgingReport,
    BalanceSheetReport,
    CashFlowReport,
    ProfitLossReport,
    TrialBalanceReport,
)
from millbook_billing.tenants.service import base_currency
from millbook_platform.api_types import CalendarDate
from millbook_platform.auth import Principal
from millbook_platform.deps import TenantSession, needs
from millbook_platform.pagination import DataResponse

router = APIRouter(prefix="/v1/reports", tags=["reports"])

Reader = Annotated[Principal, needs("reports:read")]


class ReportFormat(StrEnum):
    JSON = "json"
    CSV = "csv"


Format = Annotated[
    ReportFormat, Query(alias="format", description="`json` (default) or `csv` (streamed)")
]
AsOf = Annotated[
    CalendarDate | None, Query(description="Only postings dated on or before; default today")
]
Detail = Annotated[
    service.AgingDetail,
    Query(
        description="`parties` (default): each party's bucket totals, summed by the database "
        "(as CSV, a row per party); `items`: also each open document under its party "
        "(as CSV, a row per document, streamed)"
    ),
]
CSV_RESPONSE = {200: {"content": {"text/csv": {}}, "description": "with `?format=csv`"}}


def _today() -> date:
    return datetime.now(UTC).date()


def _csv(lines: Iterator[str] | AsyncIterator[str], filename: str) -> StreamingResponse:
    return StreamingResponse(
        lines,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}.csv"'},
    )


@router.get(
    "/trial-balance",
    response_model=DataResponse[TrialBalanceReport],
    responses=CSV_RESPONSE,  # type: ignore[arg-type]
)
async def get_trial_balance(
    principal: Reader,
    session: TenantSession,
    as_of_date: AsOf = None,
    output: Format = ReportFormat.JSON,
) -> DataResponse[TrialBalanceReport] | StreamingResponse:
    """Every account's debit or credit balance at a date; total debits equal total credits."""
    as_of = as_of_date or _today()
    currency = await base_currency(session, principal.tenant_id)
    report = await service.trial_balance(session, principal.tenant_id, as_of)
    if output is ReportFormat.CSV:
        rows = exports.trial_balance_rows(report, currency)
        return _csv(exports.csv_lines(rows), f"trial-balance-{as_of}")
    return DataResponse(data=TrialBalanceReport.of(report, currency))


@router.get(
    "/profit-loss",
    response_model=DataResponse[ProfitLossReport],
    responses=CSV_RESPONSE,  # type: ignore[arg-type]
)
async def get_profit_loss(
    principal: Reader,
    session: TenantSession,
    start_date: CalendarDate,
    end_date: CalendarDate,
    period: PeriodKind = PeriodKind.MONTHLY,
    output: Format = ReportFormat.JSON,
) -> DataResponse[ProfitLossReport] | StreamingResponse:
    """Revenue, cost of goods sold, gross profit, expenses and net income, per period."""
    report = await service.profit_loss(session, principal.tenant_id, start_date, end_date, period)
    currency = await base_currency(session, principal.tenant_id)
    if output is ReportFormat.CSV:
        rows = exports.profit_loss_rows(report, currency)
        return _csv(exports.csv_lines(rows), f"profit-loss-{start_date}-{end_date}")
    return DataResponse(data=ProfitLossReport.of(report, currency))


@router.get(
    "/balance-sheet",
    response_model=DataResponse[BalanceSheetReport],
    responses=CSV_RESPONSE,  # type: ignore[arg-type]
)
async def get_balance_sheet(
    principal: Reader,
    session: TenantSession,
    as_of_date: CalendarDate,
    output: Format = ReportFormat.JSON,
) -> DataResponse[BalanceSheetReport] | StreamingResponse:
    """Assets, liabilities and equity (with the result not yet closed) at a date."""
    report = await service.balance_sheet(session, principal.tenant_id, as_of_date)
    currency = await base_currency(session, principal.tenant_id)
    if output is ReportFormat.CSV:
        rows = exports.balance_sheet_rows(report, currency)
        return _csv(exports.csv_lines(rows), f"balance-sheet-{as_of_date}")
    return DataResponse(data=BalanceSheetReport.of(report, currency))


@router.get(
    "/cash-flow",
    response_model=DataResponse[CashFlowReport],
    responses=CSV_RESPONSE,  # type: ignore[arg-type]
)
async def get_cash_flow(
    principal: Reader,
    session: TenantSession,
    start_date: CalendarDate | None = None,
    end_date: CalendarDate | None = None,
    output: Format = ReportFormat.JSON,
) -> DataResponse[CashFlowReport] | StreamingResponse:
    """Cash in and out by kind (direct method), with opening and closing cash; default this year."""
    end = end_date or _today()
    start = start_date or date(end.year, 1, 1)
    report = await service.cash_flow(session, principal.tenant_id, start, end)
    currency = await base_currency(session, principal.tenant_id)
    if output is ReportFormat.CSV:
        rows = exports.cash_flow_rows(report, currency)
        return _csv(exports.csv_lines(rows), f"cash-flow-{start}-{end}")
    return DataResponse(data=CashFlowReport.of(report, currency))


async def _aging(
    request: Request,
    principal: Principal,
    session: TenantSession,
    kind: str,
    as_of: date,
    party_id: uuid.UUID | None,
    output: ReportFormat,
    detail: service.AgingDetail,
) -> DataResponse[AgingReport] | StreamingResponse:
    currency = await base_currency(session, principal.tenant_id)
    if output is ReportFormat.CSV and detail is service.AgingDetail.ITEMS:
        lines = service.aging_csv(
            request.app.state.sessions, principal.tenant_id, kind, as_of, party_id, currency
        )
        return _csv(lines, f"{kind}s-aging-{as_of}")
    report = await service.aging_report(session, principal.tenant_id, kind, as_of, party_id, detail)
    if output is ReportFormat.CSV:
        rows = exports.aging_summary_rows(report, currency)
        return _csv(exports.csv_lines(rows), f"{kind}s-aging-{as_of}")
    return DataResponse(data=AgingReport.of(report, kind, currency))


@router.get(
    "/accounts-receivable-aging",
    response_model=DataResponse[AgingReport],
    responses=CSV_RESPONSE,  # type: ignore[arg-type]
)
async def get_receivables_aging(
    request: Request,
    principal: Reader,
    session: TenantSession,
    as_of_date: AsOf = None,
    customer_id: CustomerFilter = None,
    output: Format = ReportFormat.JSON,
    detail: Detail = service.AgingDetail.PARTIES,
) -> DataResponse[AgingReport] | StreamingResponse:
    """Open invoices by days past due (current, 1-30, 31-60, 61-90, over 90), per customer."""
    as_of = as_of_date or _today()
    return await _aging(
        request, principal, session, "receivable", as_of, customer_id, output, detail
    )


@router.get(
    "/accounts-payable-aging",
    response_model=DataResponse[AgingReport],
    responses=CSV_RESPONSE,  # type: ignore[arg-type]
)
async def get_payables_aging(
    request: Request,
    principal: Reader,
    session: TenantSession,
    as_of_date: AsOf = None,
    supplier_id: uuid.UUID | None = None,
    output: Format = ReportFormat.JSON,
    detail: Detail = service.AgingDetail.PARTIES,
) -> DataResponse[AgingReport] | StreamingResponse:
    """Open supplier bills by days past due (current, 1-30, 31-60, 61-90, over 90), per supplier."""
    as_of = as_of_date or _today()
    return await _aging(request, principal, session, "payable", as_of, supplier_id, output, detail)
