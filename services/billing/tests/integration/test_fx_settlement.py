"""A foreign-currency invoice settled in pieces (receipts at other rates, a split credit
note) carries nothing on Accounts Receivable in base once its balance is zero, read back
through the ledger API."""

from __future__ import annotations

from decimal import Decimal

from .receivables import a_customer, a_sent_invoice, document_balance, entries_balance

D = Decimal
RATE = "1.0825"  # 110.00 EUR is 119.075, so 119.08 USD on AR


def receipt(customer, amount: str, invoice_id: str, rate: str) -> dict:
    return {
        "payment_type": "receipt",
        "customer_id": str(customer),
        "amount": amount,
        "exchange_rate": rate,
        "payment_date": "2026-05-01",
        "allocations": [{"invoice_id": invoice_id, "amount": amount}],
    }


async def receivable_of(caller, invoice_id: str) -> Decimal:
    """AR debits minus credits on the invoice, from GET /v1/ledger/entries."""
    return await document_balance(caller, "1100", invoice_id)


async def test_a_foreign_invoice_settled_in_pieces_leaves_no_receivable_in_base(
    app, caller, sessions
):
    customer = await a_customer(app, caller, currency_code="EUR")
    sent = await a_sent_invoice(caller, customer, "100.00", exchange_rate=RATE)
    assert sent["total_amount"] == "110.00"
    assert await receivable_of(caller, sent["id"]) == D("119.08")
    for amount, rate in (("33.33", "1.10"), ("33.33", "1.05")):  # each 36.08 USD off AR
        await caller.created("/v1/payments", receipt(customer, amount, sent["id"], rate))
    # 45.00 EUR credit: 43.34 settles the balance, 1.66 becomes the customer's credit.
    # Rounded alone the three pieces clear 36.08 + 36.08 + 46.91 = 119.07 and strand 0.01.
    note = await caller.created("/v1/credit-notes", {"invoice_id": sent["id"], "amount": "45.00"})
    assert (note["applied_amount"], note["customer_credit_amount"]) == ("43.34", "1.66")
    settled = (await caller.get(f"/v1/invoices/{sent['id']}")).json()["data"]
    assert (settled["status"], settled["balance_amount"]) == ("paid", "0.00")
    assert await receivable_of(caller, sent["id"]) == D("0.00")

    # The held credit and a receipt at another rate settle a second invoice to zero too.
    later = await a_sent_invoice(caller, customer, "10.00", exchange_rate=RATE)  # 11.91 USD
    applied = await caller.post(
        f"/v1/credit-notes/{note['id']}/allocate",
        json={
            "allocation_date": "2026-05-20",
            "allocations": [{"invoice_id": later["id"], "amount": "1.66"}],
        },
    )
    assert applied.status_code == 200, applied.text
    await caller.created("/v1/payments", receipt(customer, "9.34", later["id"], "0.9999"))
    assert await receivable_of(caller, later["id"]) == D("0.00")
    assert await entries_balance(sessions, caller.tenant_id) == 0
