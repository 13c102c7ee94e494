"""Gap-free numbers held briefly: each document takes its number as late as it can.

The counter row a number comes from stays locked until the transaction commits, and
every send, payment or credit note of the tenant queues on it. So the counter upsert
comes after every other write; only what carries the number (the document's own row,
its ledger entry and its event) follows it. These tests record the SQL a request runs.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from fastapi import FastAPI
from sqlalchemy import event

from .receivables import a_customer, a_draft, a_sent_invoice

YEAR = datetime.now(UTC).year
COUNTER = "INSERT INTO document_counters"
# What may run once the number is taken: the numbered row and what carries its number.
AFTER_NUMBER = re.compile(
    r"^(INSERT INTO (payments|payment_allocations|credit_notes|credit_note_lines"
    r"|journal_entries|journal_lines|outbox)\b"
    r"|UPDATE invoices SET invoice_number=\S+(, updated_at=[^,]+)? WHERE"  # the number alone
    r"|SELECT .* FROM (journal_entries|accounts)\b)",
    re.DOTALL,
)


@contextmanager
def statements(app: FastAPI) -> Iterator[list[str]]:
    """Every SQL statement the app runs inside the block, in order."""
    engine = app.state.runtime.engine.sync_engine
    seen: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany) -> None:
        seen.append(" ".join(statement.split()))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def after_the_number(seen: list[str]) -> tuple[list[str], list[str]]:
    """The statements before and after the (single) counter upsert."""
    [at] = [i for i, sql in enumerate(seen) if sql.startswith(COUNTER)]
    return seen[:at], seen[at + 1 :]


def unexpected(after: list[str]) -> list[str]:
    return [sql[:120] for sql in after if not AFTER_NUMBER.match(sql)]


def receipt(customer, *allocations: tuple[str, str], amount: str) -> dict:
    return {
        "payment_type": "receipt",
        "customer_id": str(customer),
        "amount": amount,
        "payment_date": "2026-05-01",
        "allocations": [{"invoice_id": i, "amount": a} for i, a in allocations],
    }


async def test_a_receipt_settles_its_invoices_before_it_takes_a_number(app, caller):
    customer = await a_customer(app, caller)
    one = await a_sent_invoice(caller, customer, "100.00")
    two = await a_sent_invoice(caller, customer, "50.00")
    body = receipt(customer, (one["id"], "110.00"), (two["id"], "20.00"), amount="140.00")
    with statements(app) as seen:
        await caller.created("/v1/payments", body)
    before, after = after_the_number(seen)
    assert sum(sql.startswith("UPDATE invoices") for sql in before) == 2
    assert unexpected(after) == []
    assert [sql.split(" (")[0] for sql in after if sql.startswith("INSERT INTO payment")] == [
        "INSERT INTO payments",
        "INSERT INTO payment_allocations",
    ]


async def test_a_refund_takes_its_number_after_the_credit_it_pays_back(app, caller):
    customer = await a_customer(app, caller)
    paid = await caller.created("/v1/payments", receipt(customer, amount="30.00"))
    with statements(app) as seen:
        response = await caller.post(f"/v1/payments/{paid['id']}/refund", {"amount": "10.00"})
    assert response.status_code == 201, response.text
    before, after = after_the_number(seen)
    assert any(sql.startswith("UPDATE payments") for sql in before)
    assert unexpected(after) == []


async def test_a_credit_note_settles_its_invoice_before_it_takes_a_number(app, caller):
    customer = await a_customer(app, caller)
    sent = await a_sent_invoice(caller, customer, "100.00")
    with statements(app) as seen:
        await caller.created("/v1/credit-notes", {"invoice_id": sent["id"], "amount": "11.00"})
    before, after = after_the_number(seen)
    assert any(sql.startswith("UPDATE invoices") for sql in before)
    assert unexpected(after) == []


async def test_a_tenants_first_send_seeds_its_chart_before_it_takes_a_number(app, caller):
    customer = await a_customer(app, caller)
    draft = await a_draft(caller, customer)
    with statements(app) as seen:
        response = await caller.post(f"/v1/invoices/{draft['id']}/send")
    assert response.status_code == 200, response.text
    before, after = after_the_number(seen)
    assert any(sql.startswith("INSERT INTO accounts") for sql in before)
    assert any(sql.startswith("UPDATE invoices SET status=") for sql in before)
    assert unexpected(after) == []


async def test_twenty_concurrent_receipts_get_numbers_one_to_twenty(app, caller):
    customer = await a_customer(app, caller)
    invoices = [await a_sent_invoice(caller, customer, "10.00") for _ in range(20)]
    responses = await asyncio.gather(
        *(
            caller.post("/v1/payments", receipt(customer, (inv["id"], "11.00"), amount="11.00"))
            for inv in invoices
        )
    )
    assert all(r.status_code == 201 for r in responses), [r.text for r in responses]
    numbers = sorted(r.json()["data"]["payment_number"] for r in responses)
    assert numbers == [f"PAY-{YEAR}-{n:04d}" for n in range(1, 21)]


async def test_a_failed_receipt_gives_its_number_back(app, caller):
    customer = await a_customer(app, caller)
    sent = await a_sent_invoice(caller, customer, "10.00")
    first = await caller.created("/v1/payments", receipt(customer, amount="5.00"))
    over = await caller.post("/v1/payments", receipt(customer, (sent["id"], "11.01"), amount="20"))
    assert over.status_code == 422
    second = await caller.created("/v1/payments", receipt(customer, amount="5.00"))
    assert (first["payment_number"], second["payment_number"]) == (
        f"PAY-{YEAR}-0001",
        f"PAY-{YEAR}-0002",
    )
