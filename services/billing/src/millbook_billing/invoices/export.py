"""Invoices as CSV (pure rows), streamed a batch at a time in a transaction of its own."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from millbook_billing.invoices import repository
from millbook_billing.invoices.repository import InvoiceFilters
from millbook_platform.csv_cells import csv_records, text_cell
from millbook_platform.db import unit_of_work
from millbook_platform.money import money_text

HEADER = (
    "invoice_number",
    "invoice_date",
    "due_date",
    "customer_id",
    "customer_name",
    "status",
    "currency_code",
    "subtotal",
    "discount_amount",
    "tax_amount",
    "total_amount",
    "paid_amount",
    "credited_amount",
    "balance_amount",
)
BATCH = 1000


def row_of(values: Sequence[Any]) -> list[str]:
    """One invoice's export row: ISO dates, money with the currency's minor digits."""
    (number, invoice_date, due_date, customer_id, customer_name, status, currency) = values[:7]
    return [
        number or "",
        _date(invoice_date),
        _date(due_date),
        str(customer_id),
        text_cell(customer_name),
        status,
        currency,
        *[money_text(amount, currency) or "" for amount in values[7:]],
    ]


csv_chunk = csv_records  # RFC 4180 records (CRLF) for a batch of rows


async def csv_stream(
    sessions: async_sessionmaker[AsyncSession],
    tenant_id: uuid.UUID,
    filters: InvoiceFilters,
    *,
    batch: int = BATCH,
) -> AsyncIterator[str]:
    """The header, then one chunk per batch of invoices read through a server-side cursor.

    Runs while the response streams, so it reads in its own transaction (the request's
    has committed by then); only one batch is in memory at a time.
    """
    yield csv_chunk([HEADER])
    async with unit_of_work(sessions, tenant_id) as session:
        async for rows in repository.stream_for_export(session, tenant_id, filters, batch=batch):
            yield csv_chunk(row_of(row) for row in rows)


def _date(value: date | None) -> str:
    return value.isoformat() if value else ""
