"""Foreign-currency customer credit used up in pieces (applied to an invoice, then refunded)
leaves nothing on Customer Credits for its source in base, read through the ledger API."""

from __future__ import annotations

from decimal import Decimal

from .receivables import a_customer, a_sent_invoice, document_balance, entries_balance

D = Decimal
RATE = "1.005"  # 1.00 EUR is 1.005, so 1.01 USD; each half (0.50 EUR) alone is 0.50 USD


async def customer_credits_of(caller, source_id: str) -> Decimal:
    """What Customer Credits (2200) holds for one source document, credit side, in base."""
    return -await document_balance(caller, "2200", source_id)


async def test_an_overpaid_receipts_credit_applied_and_refunded_clears_in_base(
    app, caller, sessions
):
    customer = await a_customer(app, caller, currency_code="EUR")
    receipt = await caller.created(
        "/v1/payments",
        {
            "payment_type": "receipt",
            "customer_id": str(customer),
            "amount": "1.00",
            "exchange_rate": RATE,
        },
    )
    assert await customer_credits_of(caller, receipt["id"]) == D("1.01")
    invoice = await a_sent_invoice(caller, customer, "0.50", exchange_rate=RATE)  # 0.55 EUR
    applied = await caller.post(
        f"/v1/payments/{receipt['id']}/allocate",
        json={"allocations": [{"invoice_id": invoice["id"], "amount": "0.50"}]},
    )
    assert applied.status_code == 200, applied.text
    assert await customer_credits_of(caller, receipt["id"]) == D("0.50")  # 0.50 EUR left
    refund = await caller.post(f"/v1/payments/{receipt['id']}/refund", json={"amount": "0.50"})
    assert refund.status_code == 201, refund.text
    assert await customer_credits_of(caller, receipt["id"]) == D("0.00")
    assert await entries_balance(sessions, caller.tenant_id) == 0


async def test_a_credit_notes_customer_credit_used_in_pieces_clears_in_base(app, caller, sessions):
    customer = await a_customer(app, caller, currency_code="EUR")
    paid = await a_sent_invoice(caller, customer, "10.00", exchange_rate=RATE)  # 11.00 EUR
    assert (await caller.post(f"/v1/invoices/{paid['id']}/mark-paid")).status_code == 200
    note = await caller.created("/v1/credit-notes", {"invoice_id": paid["id"], "amount": "1.50"})
    assert note["customer_credit_amount"] == "1.50"
    assert await customer_credits_of(caller, note["id"]) == D("1.51")  # 1.5075
    later = await a_sent_invoice(caller, customer, "0.50", exchange_rate=RATE)
    path = f"/v1/credit-notes/{note['id']}"
    for amount in ("0.25", "0.25"):  # each 0.25 USD alone; 1.01 USD must stay for 1.00 EUR
        applied = await caller.post(
            path + "/allocate",
            json={"allocations": [{"invoice_id": later["id"], "amount": amount}]},
        )
        assert applied.status_code == 200, applied.text
    assert await customer_credits_of(caller, note["id"]) == D("1.01")
    for amount in ("0.50", "0.50"):
        refund = await caller.post(path + "/refund", json={"amount": amount})
        assert refund.status_code == 201, refund.text
    assert (await caller.get(path)).json()["data"]["available_credit"] == "0.00"
    assert await customer_credits_of(caller, note["id"]) == D("0.00")
    assert await entries_balance(sessions, caller.tenant_id) == 0
