"""Customer credit applied later: the `billing.credit.applied` event, and foreign-currency
credit that leaves nothing behind on Customer Credits or Accounts Receivable."""

from __future__ import annotations

import uuid
from decimal import Decimal

from sqlalchemy import text

from millbook_platform.db import unit_of_work

from .conftest import events_of
from .receivables import a_customer, a_sent_invoice, account_balances, entries_balance

D = Decimal


def receipt(customer: uuid.UUID, amount: str, **extra) -> dict:
    return {
        "payment_type": "receipt",
        "customer_id": str(customer),
        "amount": amount,
        "payment_date": "2026-05-01",
        **extra,
    }


def allocations(*pairs: tuple[str, str], on: str = "2026-05-20") -> dict:
    return {
        "allocation_date": on,
        "allocations": [{"invoice_id": i, "amount": a} for i, a in pairs],
    }


async def customer_balances(sessions, tenant_id, customer: uuid.UUID) -> dict[str, Decimal]:
    """Debits minus credits of the customer's AR and Customer Credits lines."""
    async with unit_of_work(sessions, tenant_id) as session:
        rows = await session.execute(
            text(
                "SELECT account_code, sum(debit) - sum(credit) FROM journal_lines"
                " WHERE tenant_id = :t AND party_id = :c AND account_code IN ('1100', '2200')"
                " GROUP BY account_code"
            ),
            {"t": tenant_id, "c": customer},
        )
        return {code: amount for code, amount in rows}


async def test_a_receipts_credit_applied_later_is_published(app, caller, sessions):
    customer = await a_customer(app, caller)
    one = await a_sent_invoice(caller, customer, "20.00")  # 22.00
    two = await a_sent_invoice(caller, customer, "100.00")  # 110.00
    paid = await caller.created("/v1/payments", receipt(customer, "50.00"))
    assert await events_of(sessions, caller.tenant_id, "billing.credit.applied") == []
    response = await caller.post(
        f"/v1/payments/{paid['id']}/allocate",
        allocations((one["id"], "22.00"), (two["id"], "10.00")),
    )
    assert response.status_code == 200, response.text
    events = await events_of(sessions, caller.tenant_id, "billing.credit.applied")
    assert [
        (
            e["source_type"],
            e["source_id"],
            e["source_number"],
            e["invoice_id"],
            e["invoice_number"],
            e["amount"],
            e["currency_code"],
            e["source_credit_left"],
            e["invoice_status"],
            e["invoice_balance_amount"],
        )
        for e in events
    ] == [
        ("payment", paid["id"], paid["payment_number"], one["id"], one["invoice_number"],
         "22.00", "USD", "28.00", "paid", "0.00"),
        ("payment", paid["id"], paid["payment_number"], two["id"], two["invoice_number"],
         "10.00", "USD", "18.00", "partial", "100.00"),
    ]  # fmt: skip
    assert {e["customer_id"] for e in events} == {str(customer)}
    assert {e["applied_on"] for e in events} == {"2026-05-20"}
    assert len({e["application_id"] for e in events}) == 2


async def test_a_credit_notes_credit_applied_later_is_published(app, caller, sessions):
    customer = await a_customer(app, caller)
    paid = await a_sent_invoice(caller, customer, "100.00")
    await caller.post(f"/v1/invoices/{paid['id']}/mark-paid")
    note = await caller.created("/v1/credit-notes", {"invoice_id": paid["id"], "amount": "30.00"})
    later = await a_sent_invoice(caller, customer, "10.00")  # 11.00
    response = await caller.post(
        f"/v1/credit-notes/{note['id']}/allocate", allocations((later["id"], "11.00"))
    )
    assert response.status_code == 200, response.text
    [event] = await events_of(sessions, caller.tenant_id, "billing.credit.applied")
    assert (
        event["source_type"],
        event["source_id"],
        event["source_number"],
        event["invoice_id"],
        event["amount"],
        event["source_credit_left"],
        event["invoice_status"],
    ) == ("credit_note", note["id"], note["credit_note_number"], later["id"], "11.00", "19.00",
          "paid")  # fmt: skip
    # A refused allocation publishes nothing.
    over = await caller.post(
        f"/v1/credit-notes/{note['id']}/allocate", allocations((later["id"], "1.00"))
    )
    assert over.status_code == 422
    assert len(await events_of(sessions, caller.tenant_id, "billing.credit.applied")) == 1


async def test_foreign_receipt_credit_applied_at_another_rate_leaves_no_residue(
    app, caller, sessions
):
    customer = await a_customer(app, caller, currency_code="EUR")
    sent = await a_sent_invoice(caller, customer, "100.00", exchange_rate="1.10")  # 110 EUR
    paid = await caller.created("/v1/payments", receipt(customer, "110.00", exchange_rate="1.30"))
    response = await caller.post(
        f"/v1/payments/{paid['id']}/allocate", allocations((sent["id"], "110.00"))
    )
    assert response.status_code == 200, response.text
    # AR was 121.00 (at 1.10), the credit came in as 143.00 (at 1.30): both leave whole.
    assert await customer_balances(sessions, caller.tenant_id, customer) == {
        "1100": D("0"),
        "2200": D("0"),
    }
    balances = await account_balances(sessions, caller.tenant_id)
    assert balances["5200"] == D("-22.00")  # the FX gain
    assert balances["1000"] == D("143.00")
    assert await entries_balance(sessions, caller.tenant_id) == 0


async def test_foreign_credit_note_credit_applied_to_an_invoice_at_another_rate_leaves_no_residue(
    app, caller, sessions
):
    customer = await a_customer(app, caller, currency_code="EUR")
    first = await a_sent_invoice(caller, customer, "100.00", exchange_rate="1.20")  # 110 EUR
    await caller.post(f"/v1/invoices/{first['id']}/mark-paid")  # at the invoice's 1.20
    note = await caller.created("/v1/credit-notes", {"invoice_id": first["id"], "amount": "33.00"})
    second = await a_sent_invoice(caller, customer, "30.00", exchange_rate="1.05")  # 33 EUR
    response = await caller.post(
        f"/v1/credit-notes/{note['id']}/allocate", allocations((second["id"], "33.00"))
    )
    assert response.status_code == 200, response.text
    assert await customer_balances(sessions, caller.tenant_id, customer) == {
        "1100": D("0"),
        "2200": D("0"),
    }
    # 33 EUR of credit booked at 1.20 (39.60) cleared 33 EUR receivable at 1.05 (34.65).
    assert (await account_balances(sessions, caller.tenant_id))["5200"] == D("-4.95")  # a gain
    assert await entries_balance(sessions, caller.tenant_id) == 0
