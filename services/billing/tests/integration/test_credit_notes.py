"""Credit notes against real PostgreSQL: partial and full, to balance or to customer credit."""

from __future__ import annotations

import io
import uuid
from decimal import Decimal

from pypdf import PdfReader
from sqlalchemy import text

from millbook_platform.db import unit_of_work
from millbook_testing.callers import error_of, fields_named

from .conftest import events_of
from .receivables import a_customer, a_draft, a_sent_invoice, account_balances, entries_balance

D = Decimal


async def test_a_partial_credit_by_amount_reduces_the_balance(app, caller, sessions):
    customer = await a_customer(app, caller)
    sent = await a_sent_invoice(caller, customer, "1000.00")  # 1100.00 incl. 100.00 tax
    note = await caller.created(
        "/v1/credit-notes",
        {"invoice_id": sent["id"], "amount": "110.00", "reason": "Scratched parts"},
    )
    assert note["credit_note_number"].startswith("CN-")
    assert note["credit_note_number"].endswith("-0001")
    assert (note["subtotal"], note["tax_amount"], note["total_amount"]) == (
        "100.00",
        "10.00",
        "110.00",
    )
    assert (note["applied_amount"], note["customer_credit_amount"]) == ("110.00", "0.00")
    invoice = (await caller.get(f"/v1/invoices/{sent['id']}")).json()["data"]
    assert (invoice["status"], invoice["credited_amount"], invoice["balance_amount"]) == (
        "partial",
        "110.00",
        "990.00",
    )
    [event] = await events_of(sessions, caller.tenant_id, "billing.credit_note.issued")
    assert (event["invoice_number"], event["total_amount"]) == (sent["invoice_number"], "110.00")
    assert await account_balances(sessions, caller.tenant_id) == {
        "1100": D("990.00"),
        "2100": D("-90.00"),
        "4000": D("-900.00"),
    }


async def test_a_full_credit_settles_the_invoice_and_empties_its_accounts(app, caller, sessions):
    customer = await a_customer(app, caller)
    sent = await a_sent_invoice(caller, customer, "33.33", "66.67")
    await caller.created("/v1/credit-notes", {"invoice_id": sent["id"], "amount": "10.00"})
    rest = await caller.created("/v1/credit-notes", {"invoice_id": sent["id"], "full": True})
    assert rest["total_amount"] == "100.00"
    invoice = (await caller.get(f"/v1/invoices/{sent['id']}")).json()["data"]
    assert (invoice["status"], invoice["balance_amount"]) == ("paid", "0.00")
    assert await account_balances(sessions, caller.tenant_id) == {}  # not a cent of tax left
    nothing_left = await caller.post(
        "/v1/credit-notes", {"invoice_id": sent["id"], "amount": "0.01"}
    )
    assert nothing_left.status_code == 422


async def test_a_credit_by_lines_is_priced_like_an_invoice(app, caller):
    customer = await a_customer(app, caller)
    sent = await a_sent_invoice(caller, customer, "100.00", "100.00")
    line = {"invoice_line_id": sent["line_items"][1]["id"], "description": "Return of one part"}
    note = await caller.created(
        "/v1/credit-notes", {"invoice_id": sent["id"], "line_items": [line]}
    )
    assert note["total_amount"] == "110.00"
    assert note["line_items"][0]["line_total"] == "110.00"
    listed = (await caller.get("/v1/credit-notes", params={"invoice_id": sent["id"]})).json()
    assert [row["id"] for row in listed["data"]] == [note["id"]]
    got = await caller.get(f"/v1/credit-notes/{note['id']}")
    assert got.json()["data"]["invoice_number"] == sent["invoice_number"]


async def test_a_paid_invoices_credit_becomes_customer_credit(app, caller, sessions):
    customer = await a_customer(app, caller)
    sent = await a_sent_invoice(caller, customer, "100.00")
    await caller.post(f"/v1/invoices/{sent['id']}/mark-paid")
    note = await caller.created("/v1/credit-notes", {"invoice_id": sent["id"], "amount": "22.00"})
    assert (note["applied_amount"], note["customer_credit_amount"]) == ("0.00", "22.00")
    balances = await account_balances(sessions, caller.tenant_id)
    assert balances["2200"] == D("-22.00")
    assert balances["1000"] == D("110.00")
    assert "1100" not in balances
    assert await entries_balance(sessions, caller.tenant_id) == 0


async def test_credits_beyond_the_invoice_are_refused(app, caller):
    customer = await a_customer(app, caller)
    sent = await a_sent_invoice(caller, customer, "100.00")
    too_much = await caller.post("/v1/credit-notes", {"invoice_id": sent["id"], "amount": "110.01"})
    assert too_much.status_code == 422
    assert fields_named(too_much) == {"amount"}
    await caller.created("/v1/payments", _receipt(customer, sent["id"], "100.00"))
    # 10.00 is open, 110.00 still creditable: more than that is refused, split or not.
    beyond = await caller.post("/v1/credit-notes", {"invoice_id": sent["id"], "amount": "110.01"})
    assert beyond.status_code == 422
    assert fields_named(beyond) == {"amount"}
    neither = await caller.post("/v1/credit-notes", {"invoice_id": sent["id"]})
    assert neither.status_code == 422
    both = await caller.post(
        "/v1/credit-notes", {"invoice_id": sent["id"], "amount": "1.00", "full": True}
    )
    assert both.status_code == 422


async def test_drafts_and_other_tenants_invoices_cannot_be_credited(app, caller, other_tenant):
    customer = await a_customer(app, caller)
    draft = await a_draft(caller, customer)
    response = await caller.post("/v1/credit-notes", {"invoice_id": draft["id"], "full": True})
    assert response.status_code == 409
    assert error_of(response)["code"] == "INVALID_TRANSITION"
    theirs = await a_sent_invoice(other_tenant, await a_customer(app, other_tenant))
    response = await caller.post("/v1/credit-notes", {"invoice_id": theirs["id"], "full": True})
    assert response.status_code == 404
    # A credited invoice cannot be voided any more.
    sent = await a_sent_invoice(caller, customer)
    await caller.created("/v1/credit-notes", {"invoice_id": sent["id"], "amount": "1.00"})
    assert (await caller.post(f"/v1/invoices/{sent['id']}/void")).status_code == 409


async def test_credit_left_by_a_credit_note_is_applied_elsewhere_then_refunded(
    app, caller, sessions
):
    customer = await a_customer(app, caller)
    paid = await a_sent_invoice(caller, customer, "100.00")
    await caller.post(f"/v1/invoices/{paid['id']}/mark-paid")
    note = await caller.created("/v1/credit-notes", {"invoice_id": paid["id"], "amount": "55.00"})
    assert note["available_credit"] == "55.00"
    next_invoice = await a_sent_invoice(caller, customer, "20.00")  # 22.00
    path = f"/v1/credit-notes/{note['id']}"
    too_much = await caller.post(
        path + "/allocate", {"allocations": [{"invoice_id": next_invoice["id"], "amount": "22.01"}]}
    )
    assert fields_named(too_much) == {"allocations[0].amount"}
    applied = await caller.post(
        path + "/allocate", {"allocations": [{"invoice_id": next_invoice["id"], "amount": "22.00"}]}
    )
    assert applied.status_code == 200, applied.text
    assert (
        applied.json()["data"]["allocated_amount"],
        applied.json()["data"]["available_credit"],
    ) == (
        "22.00",
        "33.00",
    )
    settled = (await caller.get(f"/v1/invoices/{next_invoice['id']}")).json()["data"]
    assert (settled["status"], settled["credited_amount"]) == ("paid", "22.00")
    over = await caller.post(path + "/refund", {"amount": "33.01"})
    assert fields_named(over) == {"amount"}
    refund = await caller.post(
        path + "/refund", {"amount": "33.00", "payment_method": "bank_transfer"}
    )
    assert refund.status_code == 201, refund.text
    assert refund.json()["data"]["refund_of_credit_note"] == note["id"]
    assert (await caller.get(path)).json()["data"]["available_credit"] == "0.00"
    [event] = await events_of(sessions, caller.tenant_id, "billing.payment.refunded")
    assert event["credit_note_id"] == note["id"]
    balances = await account_balances(sessions, caller.tenant_id)
    assert "2200" not in balances  # the customer's credit is used up
    assert "1100" not in balances  # every receivable cleared
    assert balances["1000"] == D("77.00")  # 110 received, 33 paid back
    assert await entries_balance(sessions, caller.tenant_id) == 0


def _receipt(customer, invoice_id: str, amount: str) -> dict:
    return {
        "payment_type": "receipt",
        "customer_id": str(customer),
        "amount": amount,
        "allocations": [{"invoice_id": invoice_id, "amount": amount}],
    }


async def _credit_note_lines(sessions, tenant_id, note_id: str) -> list[tuple[str, D, D]]:
    async with unit_of_work(sessions, tenant_id) as session:
        rows = await session.execute(
            text(
                "SELECT l.account_code, l.debit, l.credit FROM journal_lines l"
                " JOIN journal_entries e ON e.id = l.entry_id"
                " WHERE e.tenant_id = :t AND e.source_type = 'credit_note_issued'"
                " AND e.source_id = :n ORDER BY l.account_code"
            ),
            {"t": tenant_id, "n": note_id},
        )
        return [(code, debit, credit) for code, debit, credit in rows]


async def test_a_credit_above_a_partly_paid_invoices_balance_settles_it_and_credits_the_rest(
    app, caller, sessions
):
    customer = await a_customer(app, caller)
    sent = await a_sent_invoice(caller, customer, "100.00")  # 110.00 incl. 10.00 tax
    await caller.created("/v1/payments", _receipt(customer, sent["id"], "100.00"))
    note = await caller.created("/v1/credit-notes", {"invoice_id": sent["id"], "amount": "22.00"})
    assert (note["total_amount"], note["tax_amount"]) == ("22.00", "2.00")
    assert (note["applied_amount"], note["customer_credit_amount"]) == ("10.00", "12.00")
    assert note["available_credit"] == "12.00"
    invoice = (await caller.get(f"/v1/invoices/{sent['id']}")).json()["data"]
    assert (invoice["status"], invoice["credited_amount"], invoice["balance_amount"]) == (
        "paid",
        "10.00",
        "0.00",
    )
    [issued] = await events_of(sessions, caller.tenant_id, "billing.credit_note.issued")
    assert (issued["applied_amount"], issued["customer_credit_amount"]) == ("10.00", "12.00")
    [paid] = await events_of(sessions, caller.tenant_id, "billing.invoice.paid")
    assert paid["invoice_id"] == sent["id"]
    # One balanced entry: Sales 20 + Tax 2 / AR 10 (the open part) + Customer Credits 12.
    assert await _credit_note_lines(sessions, caller.tenant_id, note["id"]) == [
        ("1100", D("0"), D("10.00")),
        ("2100", D("2.00"), D("0")),
        ("2200", D("0"), D("12.00")),
        ("4000", D("20.00"), D("0")),
    ]
    assert await account_balances(sessions, caller.tenant_id) == {
        "1000": D("100.00"),
        "2100": D("-8.00"),
        "2200": D("-12.00"),
        "4000": D("-80.00"),
    }  # the receivable is cleared
    # The credit part is real customer credit: it settles the customer's next invoice.
    later = await a_sent_invoice(caller, customer, "10.00")  # 11.00
    applied = await caller.post(
        f"/v1/credit-notes/{note['id']}/allocate",
        {"allocations": [{"invoice_id": later["id"], "amount": "11.00"}]},
    )
    assert applied.status_code == 200, applied.text
    assert applied.json()["data"]["available_credit"] == "1.00"
    balances = await account_balances(sessions, caller.tenant_id)
    assert balances["2200"] == D("-1.00")
    assert "1100" not in balances
    assert await entries_balance(sessions, caller.tenant_id) == 0


async def test_a_foreign_currency_split_credit_clears_the_receivable_in_base(app, caller, sessions):
    customer = await a_customer(app, caller, currency_code="EUR")
    sent = await a_sent_invoice(caller, customer, "100.00", exchange_rate="1.2")  # 110 EUR
    await caller.created(
        "/v1/payments", {**_receipt(customer, sent["id"], "100.00"), "exchange_rate": "1.2"}
    )
    note = await caller.created("/v1/credit-notes", {"invoice_id": sent["id"], "amount": "22.00"})
    assert (note["applied_amount"], note["customer_credit_amount"]) == ("10.00", "12.00")
    balances = await account_balances(sessions, caller.tenant_id)
    assert "1100" not in balances
    assert balances["2200"] == D("-14.40")  # 12.00 EUR at 1.2
    assert await entries_balance(sessions, caller.tenant_id) == 0


async def test_the_credit_note_pdf_shows_seller_customer_invoice_lines_and_totals(
    app, caller, other_tenant
):
    customer = await a_customer(app, caller)
    await caller.put(
        "/v1/billing/settings",
        {"legal_name": "Millbook Machining Ltd", "address": "4 Forge Lane\nLeeds LS1 1AA"},
    )
    brackets = {"description": "Bracket", "quantity": "4", "unit_price": "50", "tax_rate": "0.10"}
    machining = {"description": "Machining", "quantity": "1", "unit_price": "1034.50"}
    sent = await a_sent_invoice(
        caller, customer, line_items=[brackets, {**machining, "tax_rate": "0.10"}]
    )  # 220.00 + 1137.95 = 1357.95
    await caller.created("/v1/payments", _receipt(customer, sent["id"], "1300.00"))
    line = {
        "invoice_line_id": sent["line_items"][0]["id"],
        "description": "Returned bracket",
        "quantity": "2",
    }
    note = await caller.created(
        "/v1/credit-notes",
        {"invoice_id": sent["id"], "line_items": [line], "reason": "Wrong finish"},
    )  # 110.00: 57.95 off the balance, 52.05 customer credit
    response = await caller.get(f"/v1/credit-notes/{note['id']}/pdf")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert f"{note['credit_note_number']}.pdf" in response.headers["content-disposition"]
    pages = PdfReader(io.BytesIO(response.content)).pages
    text = " ".join(page.extract_text() for page in pages)
    for expected in [
        "Credit note",
        note["credit_note_number"],
        sent["invoice_number"],
        "Millbook Machining Ltd",
        "4 Forge Lane",
        "Acme Machining",
        "1 Mill Road",
        "Returned bracket",
        "100.00",
        "10.00",
        "110.00",
        "57.95",
        "52.05",
        "Wrong finish",
    ]:
        assert expected in text, expected
    assert (await caller.get(f"/v1/credit-notes/{uuid.uuid4()}/pdf")).status_code == 404
    theirs = await other_tenant.get(f"/v1/credit-notes/{note['id']}/pdf")
    assert theirs.status_code == 404
    reader = caller.as_scope("invoices:read")
    assert (await reader.get(f"/v1/credit-notes/{note['id']}/pdf")).status_code == 200
    nobody = caller.as_scope("payments:read")
    assert (await nobody.get(f"/v1/credit-notes/{note['id']}/pdf")).status_code == 403
