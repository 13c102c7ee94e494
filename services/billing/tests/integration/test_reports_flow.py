"""Invoice to cash to reports, through billing's own endpoints (receivables post, reports read)."""

from __future__ import annotations

from typing import Any

from millbook_testing.callers import Caller

from .receivables import a_customer, a_sent_invoice


async def report(caller: Caller, path: str, **params: Any) -> dict[str, Any]:
    response = await caller.get(f"/v1/reports/{path}", params=params)
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


async def receive(caller: Caller, customer_id: Any, invoice_id: str, amount: str, day: str) -> None:
    body = {
        "payment_type": "receipt",
        "customer_id": str(customer_id),
        "amount": amount,
        "payment_date": day,
        "allocations": [{"invoice_id": invoice_id, "amount": amount}],
    }
    await caller.created("/v1/payments", body)


async def test_paying_an_invoice_moves_its_aging_and_the_books_stay_balanced(app, caller) -> None:
    customer = await a_customer(app, caller)
    invoice = await a_sent_invoice(
        caller, customer, "1000.00", invoice_date="2026-01-10", due_date="2026-02-09"
    )
    assert invoice["total_amount"] == "1100.00"
    aging = await report(
        caller, "accounts-receivable-aging", as_of_date="2026-02-01", detail="items"
    )
    assert aging["summary"]["current"] == "1100.00"
    assert aging["details"][0]["documents"][0]["document_number"] == invoice["invoice_number"]

    await receive(caller, customer, invoice["id"], "550.00", "2026-02-15")
    half = await report(caller, "accounts-receivable-aging", as_of_date="2026-02-20")
    assert (half["summary"]["days_30"], half["summary"]["total"]) == ("550.00", "550.00")
    before_payment = await report(caller, "accounts-receivable-aging", as_of_date="2026-02-10")
    assert before_payment["summary"]["days_30"] == "1100.00"  # the past is reproducible

    await receive(caller, customer, invoice["id"], "550.00", "2026-02-25")
    settled = await report(caller, "accounts-receivable-aging", as_of_date="2026-03-01")
    assert (settled["summary"]["total"], settled["details"]) == ("0.00", [])

    note = await caller.created(
        "/v1/credit-notes",
        {"invoice_id": invoice["id"], "amount": "110.00", "credit_date": "2026-03-05"},
    )
    assert note["total_amount"] == "110.00"

    tb = await report(caller, "trial-balance", as_of_date="2026-03-31")
    assert tb["total_debit"] == tb["total_credit"]
    sheet = await report(caller, "balance-sheet", as_of_date="2026-03-31")
    assert sheet["balanced"] is True
    assert sheet["total_assets"] == "1100.00"  # all of it in cash
    pnl = await report(
        caller, "profit-loss", start_date="2026-01-01", end_date="2026-03-31", period="quarterly"
    )
    assert pnl["revenue"]["total"] == "900.00"  # 1000 sold, 100 credited
    flow = await report(caller, "cash-flow", start_date="2026-01-01", end_date="2026-03-31")
    assert flow["closing_cash"] == "1100.00"
    assert flow["activities"][0]["inflow"] == "1100.00"
