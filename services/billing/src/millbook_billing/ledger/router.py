"""The ledger, read-only (`reports:read`): the chart with balances and the journal."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from millbook_billing.ledger import repository
from millbook_billing.ledger.schemas import AccountBalance, Entry
from millbook_billing.models.ledger import JournalEntry, JournalLine
from millbook_billing.tenants.service import base_currency
from millbook_platform.api_types import CalendarDate
from millbook_platform.auth import Principal
from millbook_platform.deps import TenantSession, needs
from millbook_platform.pagination import (
    ListResponse,
    Page,
    PageMeta,
    list_response,
    paginate,
    require_ordered,
)

router = APIRouter(prefix="/v1/ledger", tags=["ledger"])

Reader = Annotated[Principal, needs("reports:read")]


@router.get(
    "/accounts", response_model=None, responses={200: {"model": ListResponse[AccountBalance]}}
)
async def list_accounts(
    principal: Reader,
    session: TenantSession,
    as_of_date: Annotated[
        CalendarDate | None,
        Query(description="Balances from postings dated on or before; default all"),
    ] = None,
) -> JSONResponse:
    """The chart of accounts with each account's debits, credits and balance at a date."""
    currency = await base_currency(session, principal.tenant_id)
    rows = await repository.accounts_with_balances(session, principal.tenant_id, as_of_date)
    items = [AccountBalance.of(account, debit, credit, currency) for account, debit, credit in rows]
    meta = PageMeta(limit=max(len(items), 1), offset=0, total=len(items))
    return JSONResponse(list_response(items, meta, None))


@router.get("/entries", response_model=None, responses={200: {"model": ListResponse[Entry]}})
async def list_entries(
    principal: Reader,
    session: TenantSession,
    page: Page,
    date_from: CalendarDate | None = None,
    date_to: CalendarDate | None = None,
    account: Annotated[
        str | None, Query(max_length=10, description="account code, e.g. 1100")
    ] = None,
    source_type: Annotated[str | None, Query(max_length=40)] = None,
    document_id: uuid.UUID | None = None,
) -> JSONResponse:
    """Journal entries with their lines, newest first; filter by date, account, fact or document."""
    require_ordered(date_from, date_to, "date_from", "date_to")
    statement = repository.entries_query(
        principal.tenant_id,
        date_from=date_from,
        date_to=date_to,
        account=account,
        source_type=source_type,
        document_id=document_id,
    )
    entries, meta = await paginate(
        session,
        statement,
        page,
        created_at=JournalEntry.created_at,
        row_id=JournalEntry.id,
        sortable={"entry_date": JournalEntry.entry_date},
    )
    lines = await repository.lines_of(session, [entry.id for entry in entries])
    by_entry: dict[uuid.UUID, list[JournalLine]] = {}
    for line in lines:
        by_entry.setdefault(line.entry_id, []).append(line)
    items = [Entry.of(entry, by_entry.get(entry.id, [])) for entry in entries]
    return JSONResponse(list_response(items, meta, None))
