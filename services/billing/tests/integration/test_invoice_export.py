"""Invoices as CSV: the list's filters, the columns, and constant memory however many rows."""

from __future__ import annotations

import asyncio
import csv
import io
import tracemalloc
import uuid
from typing import Any

from fastapi import FastAPI
from sqlalchemy import text

from millbook_platform.db import unit_of_work
from millbook_testing.callers import Caller

from .receivables import a_customer, a_draft, a_sent_invoice

HEADER = [
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
]


def rows_of(body: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(body)))


async def bulk_invoices(sessions, tenant_id: uuid.UUID, customer: uuid.UUID, count: int) -> None:
    """`count` sent invoices of one customer in one statement (fast, no API round trips)."""
    async with unit_of_work(sessions, tenant_id) as session:
        await session.execute(
            text(
                "INSERT INTO invoices (id, tenant_id, created_at, updated_at, invoice_number,"
                " customer_id, customer_name, invoice_date, due_date, currency_code, subtotal,"
                " discount_amount, tax_amount, total_amount, status, paid_amount,"
                " credited_amount, balance_amount, origin)"
                " SELECT gen_random_uuid(), :t, now(), now(),"
                " 'BULK-' || :c_text || '-' || n, :c, 'Bulk Buyer Ltd',"
                " date '2026-01-01' + (n % 365), date '2026-02-01' + (n % 365), 'USD',"
                " 1000.5, 0, 100.05, 1100.55, 'sent', 0, 0, 1100.55, 'manual'"
                " FROM generate_series(1, :count) AS n"
            ),
            {"t": tenant_id, "c": customer, "c_text": str(customer)[:8], "count": count},
        )


async def streamed_export(app: FastAPI, caller: Caller, query: str = "") -> tuple[int, int, int]:
    """Drive the ASGI app directly, dropping each chunk as it arrives (a client that keeps
    nothing): the status, the CSV lines received and the peak memory traced meanwhile."""
    headers = [(k.lower().encode(), v.encode()) for k, v in caller.headers().items()]
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": "/v1/invoices/export",
        "raw_path": b"/v1/invoices/export",
        "query_string": query.encode(),
        "root_path": "",
        "headers": headers,
        "server": ("service", 80),
        "client": ("127.0.0.1", 50000),
    }
    done = asyncio.Event()
    requested = False
    status = 0
    lines = 0

    async def receive() -> dict[str, Any]:
        nonlocal requested
        if not requested:
            requested = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await done.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status, lines
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            lines += message.get("body", b"").count(b"\n")
            if not message.get("more_body", False):
                done.set()

    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        await app(scope, receive, send)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        done.set()
    return status, lines, peak


async def test_twenty_thousand_invoices_stream_in_constant_memory(app, caller, sessions):
    few, many = uuid.uuid4(), uuid.uuid4()
    await bulk_invoices(sessions, caller.tenant_id, few, 2_000)
    await bulk_invoices(sessions, caller.tenant_id, many, 18_000)
    await streamed_export(app, caller, f"customer_id={few}&status=paid")  # warm caches
    status, small_lines, small_peak = await streamed_export(app, caller, f"customer_id={few}")
    assert (status, small_lines) == (200, 1 + 2_000)
    status, all_lines, all_peak = await streamed_export(app, caller)
    assert (status, all_lines) == (200, 1 + 20_000)
    # Ten times the rows, about the same memory: one batch is held at a time.
    assert all_peak < 2 * small_peak, (small_peak, all_peak)


async def test_the_export_takes_the_lists_filters_and_shows_each_invoices_money(
    app, caller, other_tenant
):
    acme = await a_customer(app, caller)
    bolt = await a_customer(app, caller, name="=HYPERLINK(evil)")
    paid = await a_sent_invoice(caller, acme, "1000.00", "0.50", invoice_date="2026-03-01")
    await caller.post(f"/v1/invoices/{paid['id']}/mark-paid")
    partial = await a_sent_invoice(caller, acme, "100.00", invoice_date="2026-04-01")
    await caller.created(
        "/v1/payments",
        {
            "payment_type": "receipt",
            "customer_id": str(acme),
            "amount": "10.00",
            "allocations": [{"invoice_id": partial["id"], "amount": "10.00"}],
        },
    )
    await caller.created("/v1/credit-notes", {"invoice_id": partial["id"], "amount": "5.00"})
    draft = await a_draft(caller, bolt, "7.00", invoice_date="2026-05-01")
    await a_sent_invoice(other_tenant, await a_customer(app, other_tenant))

    response = await caller.get("/v1/invoices/export")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "invoices.csv" in response.headers["content-disposition"]
    assert response.text.splitlines()[0].split(",") == HEADER
    rows = rows_of(response.text)
    assert [row["invoice_number"] for row in rows] == [
        paid["invoice_number"],
        partial["invoice_number"],
        "",
    ]  # oldest first; the other tenant's invoice is not there
    first, second, third = rows
    assert (first["invoice_date"], first["status"], first["currency_code"]) == (
        "2026-03-01",
        "paid",
        "USD",
    )
    assert (first["subtotal"], first["tax_amount"], first["total_amount"]) == (
        "1000.50",
        "100.05",
        "1100.55",
    )
    assert (first["paid_amount"], first["balance_amount"]) == ("1100.55", "0.00")
    assert (second["paid_amount"], second["credited_amount"], second["balance_amount"]) == (
        "10.00",
        "5.00",
        "95.00",
    )
    assert second["customer_id"] == str(acme)
    assert (third["status"], third["customer_name"]) == ("draft", "'=HYPERLINK(evil)")

    only_open = rows_of((await caller.get("/v1/invoices/export?status=unpaid")).text)
    assert [row["invoice_number"] for row in only_open] == [partial["invoice_number"]]
    by_customer = rows_of((await caller.get(f"/v1/invoices/export?customer_id={bolt}")).text)
    assert [row["status"] for row in by_customer] == ["draft"]
    by_date = await caller.get("/v1/invoices/export?date_from=2026-03-15&max_amount=200")
    assert [row["invoice_number"] for row in rows_of(by_date.text)] == [
        partial["invoice_number"],
        "",
    ]
    assert draft["id"]  # the draft is exported without a number
    bad = await caller.get("/v1/invoices/export?status=lost")
    assert bad.status_code == 422
    denied = await caller.as_scope("payments:read").get("/v1/invoices/export")
    assert denied.status_code == 403
