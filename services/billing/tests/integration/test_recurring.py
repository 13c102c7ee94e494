"""Recurring invoices against real PostgreSQL: each period exactly once, catch-up, issue mode."""

from __future__ import annotations

import asyncio
from datetime import date

from millbook_billing.recurring.generator import generate_due_invoices
from millbook_testing.callers import fields_named

from .conftest import events_of
from .receivables import a_customer, account_balances, lines


def schedule(customer, **extra) -> dict:
    return {
        "customer_id": str(customer),
        "line_items": lines("100.00"),
        "interval": "monthly",
        "start_date": "2026-01-31",
        **extra,
    }


async def invoices_of(caller, schedule_id: str) -> list[dict]:
    rows = (await caller.get("/v1/invoices", params={"limit": 100, "sort": "invoice_date"})).json()
    return [row for row in rows["data"] if row["recurring_invoice_id"] == schedule_id]


async def test_missed_periods_are_caught_up_once_each_even_when_run_twice(app, caller, sessions):
    customer = await a_customer(app, caller)
    created = await caller.created("/v1/recurring-invoices", schedule(customer))
    assert (created["next_date"], created["status"], created["total_amount"]) == (
        "2026-01-31",
        "active",
        "110.00",
    )
    today = date(2026, 4, 15)
    results = await asyncio.gather(
        generate_due_invoices(sessions, today=today), generate_due_invoices(sessions, today=today)
    )
    assert await generate_due_invoices(sessions, today=today) == 0
    made = await invoices_of(caller, created["id"])
    assert [row["invoice_date"] for row in made] == ["2026-01-31", "2026-02-28", "2026-03-31"]
    assert all(row["status"] == "draft" and row["origin"] == "recurring" for row in made)
    assert made[0]["due_date"] == "2026-03-02"  # Net 30 from the customer
    assert sum(results) >= 3  # other tenants' schedules may be due as well
    after = (await caller.get(f"/v1/recurring-invoices/{created['id']}")).json()["data"]
    assert (after["next_date"], after["generated_count"]) == ("2026-04-30", 3)
    generated = await events_of(sessions, caller.tenant_id, "billing.recurring_invoice.generated")
    assert [e["period_date"] for e in generated] == ["2026-01-31", "2026-02-28", "2026-03-31"]


async def test_issued_mode_sends_and_posts_each_invoice_until_the_end_date(app, caller, sessions):
    customer = await a_customer(app, caller)
    body = schedule(
        customer, interval="weekly", start_date="2026-06-01", end_date="2026-06-10", mode="issued"
    )
    created = await caller.created("/v1/recurring-invoices", body)
    await generate_due_invoices(sessions, today=date(2026, 7, 1))
    made = await invoices_of(caller, created["id"])
    assert [row["invoice_date"] for row in made] == ["2026-06-01", "2026-06-08"]
    # Issued (numbered); read after their due dates, so overdue.
    assert all(row["status"] == "overdue" and row["invoice_number"] for row in made)
    after = (await caller.get(f"/v1/recurring-invoices/{created['id']}")).json()["data"]
    assert after["status"] == "ended"
    balances = await account_balances(sessions, caller.tenant_id)
    assert balances["1100"] == 220


async def test_a_paused_schedule_makes_nothing_until_resumed(app, caller, sessions):
    customer = await a_customer(app, caller)
    created = await caller.created(
        "/v1/recurring-invoices", schedule(customer, start_date="2026-02-01")
    )
    path = f"/v1/recurring-invoices/{created['id']}"
    assert (await caller.patch(path, {"status": "paused"})).json()["data"]["status"] == "paused"
    await generate_due_invoices(sessions, today=date(2026, 2, 2))
    assert await invoices_of(caller, created["id"]) == []
    patched = await caller.patch(path, {"status": "active", "line_items": lines("5.00")})
    assert patched.json()["data"]["total_amount"] == "5.50"
    await generate_due_invoices(sessions, today=date(2026, 2, 2))
    [made] = await invoices_of(caller, created["id"])
    assert made["total_amount"] == "5.50"
    assert (await caller.delete(path)).status_code == 204
    assert (await caller.get(path)).status_code == 404
    assert (await caller.get(f"/v1/invoices/{made['id']}")).status_code == 200


async def test_bad_schedules_are_refused(app, caller, other_tenant):
    customer = await a_customer(app, caller)
    bad_end = await caller.post(
        "/v1/recurring-invoices", schedule(customer, start_date="2026-05-01", end_date="2026-04-01")
    )
    assert fields_named(bad_end) == {"end_date"}
    bad_interval = await caller.post("/v1/recurring-invoices", schedule(customer, interval="daily"))
    assert fields_named(bad_interval) == {"interval"}
    theirs = await a_customer(app, other_tenant)
    assert (await caller.post("/v1/recurring-invoices", schedule(theirs))).status_code == 404
    listed = (await caller.get("/v1/recurring-invoices")).json()
    assert listed["meta"]["total"] == 0
