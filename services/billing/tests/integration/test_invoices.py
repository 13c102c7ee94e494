"""Invoices against real PostgreSQL: drafts, issuing, numbering, voiding, overdue, the ledger."""

from __future__ import annotations

import asyncio
import io
import uuid
from datetime import date, timedelta
from decimal import Decimal

import pytest
from pypdf import PdfReader

from millbook_billing.invoices import service as invoice_service
from millbook_billing.invoices.overdue import flag_overdue_invoices
from millbook_billing.invoices.schemas import InvoiceLineIn
from millbook_platform.db import unit_of_work
from millbook_platform.errors import InvalidTransition
from millbook_testing.callers import error_of, fields_named

from .conftest import events_of
from .receivables import (
    a_customer,
    a_draft,
    a_sent_invoice,
    account_balances,
    entries_balance,
    lines,
)

D = Decimal
YEAR = date.today().year


async def test_a_draft_gets_computed_totals_and_the_customers_terms(app, caller, sessions):
    customer = await a_customer(app, caller, payment_terms="Net 15")
    body = {
        "customer_id": str(customer),
        "invoice_date": "2026-01-15",
        "line_items": [
            {
                "description": "CNC Machining",
                "quantity": "10",
                "unit_price": "1500",
                "tax_rate": "0.10",
            },
            {
                "description": "Setup",
                "quantity": "3",
                "unit_price": "0.335",
                "discount_percent": "10",
            },
        ],
        "notes": "Thank you",
    }
    invoice = await caller.created("/v1/invoices", body)
    assert invoice["status"] == "draft"
    assert invoice["invoice_number"] is None
    assert invoice["due_date"] == "2026-01-30"
    assert invoice["payment_terms"] == "Net 15"
    assert invoice["currency_code"] == "USD"
    assert invoice["customer"] == {"id": str(customer), "name": "Acme Machining"}
    assert [line["line_total"] for line in invoice["line_items"]] == ["16500.00", "0.91"]
    assert (invoice["subtotal"], invoice["discount_amount"]) == ("15001.01", "0.10")
    assert (invoice["tax_amount"], invoice["total_amount"]) == ("1500.00", "16500.91")
    assert invoice["balance_amount"] == "16500.91"
    created = await events_of(sessions, caller.tenant_id, "billing.invoice.created")
    assert [e["invoice_id"] for e in created] == [invoice["id"]]


async def test_a_due_date_before_the_invoice_date_is_refused(app, caller):
    customer = await a_customer(app, caller)
    body = {
        "customer_id": str(customer),
        "invoice_date": "2026-02-10",
        "due_date": "2026-02-09",
        "line_items": lines("10.00"),
    }
    response = await caller.post("/v1/invoices", body)
    assert response.status_code == 422
    assert fields_named(response) == {"due_date"}
    draft = await a_draft(caller, customer, invoice_date="2026-02-10")
    response = await caller.patch(f"/v1/invoices/{draft['id']}", {"due_date": "2026-01-01"})
    assert response.status_code == 422
    assert fields_named(response) == {"due_date"}


async def test_another_tenants_customer_and_invoice_are_not_found(app, caller, other_tenant):
    theirs = await a_customer(app, other_tenant)
    response = await caller.post(
        "/v1/invoices", {"customer_id": str(theirs), "line_items": lines("5.00")}
    )
    assert response.status_code == 404
    assert error_of(response)["code"] == "RESOURCE_NOT_FOUND"
    their_invoice = await a_draft(other_tenant, theirs)
    for method, path in [
        ("GET", ""),
        ("DELETE", ""),
        ("POST", "/send"),
        ("POST", "/void"),
        ("POST", "/mark-paid"),
    ]:
        response = await caller.request(method, f"/v1/invoices/{their_invoice['id']}{path}")
        assert response.status_code == 404, (method, path, response.text)
    listed = (await caller.get("/v1/invoices")).json()
    assert listed["meta"]["total"] == 0


async def test_sending_numbers_snapshots_posts_and_tells_the_inbox(app, caller, sessions):
    customer = await a_customer(app, caller)
    sent = await a_sent_invoice(caller, customer, "100.00", "50.00")
    assert sent["status"] == "sent"
    assert sent["invoice_number"] == f"INV-{YEAR}-0001"
    assert sent["billing_address"]["line1"] == "1 Mill Road"
    assert sent["exchange_rate"] == "1"
    [event] = await events_of(sessions, caller.tenant_id, "billing.invoice.sent")
    assert event["invoice_number"] == sent["invoice_number"]
    assert event["recipient_email"] == "ap@acme.example"
    assert event["billing_address"]["postal_code"] == "S1 2AB"
    assert [line["total_amount"] for line in event["lines"]] == ["110.00", "55.00"]
    assert event["total_amount"] == "165.00"
    assert await account_balances(sessions, caller.tenant_id) == {
        "1100": D("165.00"),
        "2100": D("-15.00"),
        "4000": D("-150.00"),
    }
    assert await entries_balance(sessions, caller.tenant_id) == 0


async def test_a_sent_invoice_is_never_edited_or_deleted(app, caller):
    customer = await a_customer(app, caller)
    sent = await a_sent_invoice(caller, customer)
    path = f"/v1/invoices/{sent['id']}"
    body = {"customer_id": str(customer), "line_items": lines("1.00")}
    for response in [
        await caller.put(path, body),
        await caller.patch(path, {"notes": "changed"}),
        await caller.delete(path),
        await caller.post(path + "/send"),
    ]:
        assert response.status_code == 409, response.text
        assert error_of(response)["code"] == "INVALID_TRANSITION"
    assert (await caller.get(path)).json()["data"]["total_amount"] == "110.00"


async def test_a_draft_can_be_patched_replaced_and_deleted(app, caller, sessions):
    customer = await a_customer(app, caller)
    draft = await a_draft(caller, customer, invoice_date="2026-03-01")
    path = f"/v1/invoices/{draft['id']}"
    patched = (await caller.patch(path, {"payment_terms": "Due on receipt"})).json()["data"]
    assert (patched["due_date"], patched["payment_terms"]) == ("2026-03-01", "Due on receipt")
    assert patched["total_amount"] == "110.00"
    patched = (await caller.patch(path, {"line_items": lines("20.00", "30.00")})).json()["data"]
    assert patched["total_amount"] == "55.00"
    assert len(patched["line_items"]) == 2
    body = {"customer_id": str(customer), "line_items": lines("7.00", tax_rate="0")}
    replaced = (await caller.put(path, body)).json()["data"]
    assert replaced["total_amount"] == "7.00"
    updated = await events_of(sessions, caller.tenant_id, "billing.invoice.updated")
    assert "line_items" in updated[-1]["changed"]
    assert (await caller.delete(path)).status_code == 204
    assert (await caller.get(path)).status_code == 404


async def test_add_lines_appends_to_a_draft_and_refuses_an_issued_invoice(app, caller, sessions):
    customer = await a_customer(app, caller)
    draft = await a_draft(caller, customer, "100.00")
    sent = await a_sent_invoice(caller, customer)
    extra = [InvoiceLineIn(description="Billable travel", quantity=D(1), unit_price=D("40"))]
    async with unit_of_work(sessions, caller.tenant_id) as session:
        await invoice_service.add_lines(
            session, caller.tenant_id, uuid.UUID(draft["id"]), extra, actor="user:test"
        )
    after = (await caller.get(f"/v1/invoices/{draft['id']}")).json()["data"]
    assert [line["line_number"] for line in after["line_items"]] == [1, 2]
    assert after["total_amount"] == "150.00"
    async with unit_of_work(sessions, caller.tenant_id) as session:
        with pytest.raises(InvalidTransition):
            await invoice_service.add_lines(
                session, caller.tenant_id, uuid.UUID(sent["id"]), extra, actor="user:test"
            )


async def test_twenty_concurrent_sends_get_numbers_one_to_twenty(app, caller):
    customer = await a_customer(app, caller)
    drafts = [await a_draft(caller, customer) for _ in range(20)]
    responses = await asyncio.gather(
        *(caller.post(f"/v1/invoices/{draft['id']}/send") for draft in drafts)
    )
    assert all(response.status_code == 200 for response in responses), [r.text for r in responses]
    numbers = sorted(response.json()["data"]["invoice_number"] for response in responses)
    assert numbers == [f"INV-{YEAR}-{n:04d}" for n in range(1, 21)]


async def test_a_foreign_currency_invoice_needs_a_rate_to_be_sent_and_posts_in_base(
    app, caller, sessions
):
    customer = await a_customer(app, caller, currency_code="EUR")
    draft = await a_draft(caller, customer, "100.00")  # a draft may wait for its rate
    assert draft["exchange_rate"] is None
    response = await caller.post(f"/v1/invoices/{draft['id']}/send")
    assert response.status_code == 422  # no rate given and none set for the tenant
    assert fields_named(response) == {"exchange_rate"}
    assert (await caller.get(f"/v1/invoices/{draft['id']}")).json()["data"]["status"] == "draft"
    sent = await a_sent_invoice(caller, customer, "100.00", exchange_rate="1.25")
    assert (sent["currency_code"], sent["exchange_rate"], sent["total_amount"]) == (
        "EUR",
        "1.25",
        "110.00",
    )
    balances = await account_balances(sessions, caller.tenant_id)
    assert balances["1100"] == D("137.50")
    assert balances["4000"] == D("-125.00")


async def test_voiding_reverses_the_entry_and_is_refused_once_paid(app, caller, sessions):
    customer = await a_customer(app, caller)
    sent = await a_sent_invoice(caller, customer)
    response = await caller.post(f"/v1/invoices/{sent['id']}/void", {"reason": "wrong customer"})
    assert response.status_code == 200, response.text
    assert response.json()["data"]["status"] == "voided"
    assert await account_balances(sessions, caller.tenant_id) == {}
    [voided] = await events_of(sessions, caller.tenant_id, "billing.invoice.voided")
    assert voided["reason"] == "wrong customer"

    paid = await a_sent_invoice(caller, customer)
    assert (await caller.post(f"/v1/invoices/{paid['id']}/mark-paid", {})).status_code == 200
    response = await caller.post(f"/v1/invoices/{paid['id']}/void")
    assert response.status_code == 409
    draft = await a_draft(caller, customer)
    assert (await caller.post(f"/v1/invoices/{draft['id']}/void")).status_code == 409


async def test_mark_paid_records_a_receipt_for_the_balance(app, caller, sessions):
    customer = await a_customer(app, caller)
    sent = await a_sent_invoice(caller, customer, "200.00")
    response = await caller.post(
        f"/v1/invoices/{sent['id']}/mark-paid",
        {"payment_date": "2026-04-02", "payment_method": "bank_transfer"},
    )
    assert response.status_code == 200, response.text
    paid = response.json()["data"]
    assert (paid["status"], paid["paid_amount"], paid["balance_amount"]) == (
        "paid",
        "220.00",
        "0.00",
    )
    [payment] = (await caller.get("/v1/payments", params={"customer_id": str(customer)})).json()[
        "data"
    ]
    assert payment["amount"] == "220.00"
    assert payment["payment_reference"] == sent["invoice_number"]
    [event] = await events_of(sessions, caller.tenant_id, "billing.invoice.paid")
    assert event["paid_on"] == "2026-04-02"
    assert await account_balances(sessions, caller.tenant_id) == {
        "1000": D("220.00"),
        "2100": D("-20.00"),
        "4000": D("-200.00"),
    }
    again = await caller.post(f"/v1/invoices/{sent['id']}/mark-paid")
    assert again.status_code == 409


async def test_filters_search_and_sort(app, caller):
    acme = await a_customer(app, caller)
    other = await a_customer(app, caller, name="Bolt Works")
    small = await a_draft(caller, acme, "10.00", invoice_date="2026-01-05", notes="rush job")
    big = await a_sent_invoice(caller, other, "1000.00", invoice_date="2026-02-05")

    async def ids(**params):
        response = await caller.get("/v1/invoices", params=params)
        assert response.status_code == 200, response.text
        return [row["id"] for row in response.json()["data"]]

    assert await ids(status="draft") == [small["id"]]
    assert await ids(status="unpaid") == [big["id"]]
    assert await ids(customer_id=str(other)) == [big["id"]]
    assert await ids(min_amount="100") == [big["id"]]
    assert await ids(max_amount="100") == [small["id"]]
    assert await ids(date_from="2026-02-01") == [big["id"]]
    assert await ids(date_to="2026-01-31") == [small["id"]]
    assert await ids(search="bolt") == [big["id"]]
    assert await ids(search="RUSH") == [small["id"]]
    assert await ids(search=big["invoice_number"]) == [big["id"]]
    assert await ids(sort="total_amount") == [small["id"], big["id"]]
    assert await ids(sort="-total_amount") == [big["id"], small["id"]]
    # Sent 2026-02-05 on Net 30: past due now, even before the job flags it.
    assert await ids(overdue_only="true") == [big["id"]]
    later = (await caller.get(f"/v1/invoices/{big['id']}")).json()["data"]["updated_at"]
    assert await ids(updated_since=later) == [big["id"]]
    sparse = (await caller.get("/v1/invoices", params={"fields": "invoice_number"})).json()
    assert set(sparse["data"][0]) == {"id", "invoice_number"}
    bad = await caller.get("/v1/invoices", params={"status": "lost"})
    assert bad.status_code == 422


async def test_a_past_due_invoice_reads_overdue_at_once_everywhere(app, caller, sessions):
    """No job has run: GET, the list, the status filters and the export already say overdue."""
    customer = await a_customer(app, caller)
    late = await a_sent_invoice(caller, customer, invoice_date="2026-01-01", due_date="2026-01-31")
    on_time = await a_sent_invoice(caller, customer, due_date=str(date.today()))

    async def statuses(**params):
        response = await caller.get("/v1/invoices", params=params)
        assert response.status_code == 200, response.text
        return {row["id"]: row["status"] for row in response.json()["data"]}

    assert late["status"] == "overdue"  # the send's own answer
    assert (await caller.get(f"/v1/invoices/{late['id']}")).json()["data"]["status"] == "overdue"
    assert await statuses() == {late["id"]: "overdue", on_time["id"]: "sent"}
    assert await statuses(status="overdue") == {late["id"]: "overdue"}
    assert await statuses(status="sent") == {on_time["id"]: "sent"}  # never one reading overdue
    assert await statuses(status="unpaid") == {late["id"]: "overdue", on_time["id"]: "sent"}
    assert await statuses(overdue_only="true") == {late["id"]: "overdue"}
    export = (await caller.get("/v1/invoices/export")).text
    row = next(line for line in export.splitlines() if late["invoice_number"] in line)
    assert ",overdue," in row
    # A partial payment keeps it overdue (a balance is still late); the rest settles it.
    partly = {
        "payment_type": "receipt",
        "customer_id": str(customer),
        "amount": "10.00",
        "allocations": [{"invoice_id": late["id"], "amount": "10.00"}],
    }
    assert (await caller.post("/v1/payments", partly)).status_code == 201
    assert (await caller.get(f"/v1/invoices/{late['id']}")).json()["data"]["status"] == "overdue"
    assert await statuses(status="partial") == {}
    paid = await caller.post(f"/v1/invoices/{late['id']}/mark-paid")
    assert paid.json()["data"]["status"] == "paid"
    assert await statuses(status="overdue") == {}


async def test_the_overdue_job_only_publishes_the_event_once_per_invoice(app, caller, sessions):
    customer = await a_customer(app, caller)
    late = await a_sent_invoice(caller, customer, invoice_date="2026-01-01", due_date="2026-01-31")
    on_time = await a_sent_invoice(caller, customer, invoice_date=str(date.today()))
    await flag_overdue_invoices(sessions, today=date.today())
    await flag_overdue_invoices(sessions, today=date.today())
    overdue = await events_of(sessions, caller.tenant_id, "billing.invoice.overdue")
    assert [(event["invoice_id"], event["status"]) for event in overdue] == [
        (late["id"], "overdue")
    ]
    # The job changes no invoice: what a reader sees is derived from the due date.
    assert (await caller.get(f"/v1/invoices/{on_time['id']}")).json()["data"]["status"] == "sent"
    future = date.today() + timedelta(days=400)
    await flag_overdue_invoices(sessions, today=future)
    await flag_overdue_invoices(sessions, today=future)
    overdue = await events_of(sessions, caller.tenant_id, "billing.invoice.overdue")
    assert sorted(event["invoice_id"] for event in overdue) == sorted([late["id"], on_time["id"]])


async def test_scopes_guard_reading_and_writing(app, caller):
    customer = await a_customer(app, caller)
    reader = caller.as_scope("invoices:read")
    response = await reader.post(
        "/v1/invoices", {"customer_id": str(customer), "line_items": lines("1.00")}
    )
    assert response.status_code == 403
    assert (await reader.get("/v1/invoices")).status_code == 200


async def test_settings_default_then_replaced(app, caller):
    defaults = (await caller.get("/v1/billing/settings")).json()["data"]
    assert defaults["invoice_from_order"] == "draft"
    assert defaults["default_payment_terms"] == "Net 30"
    body = {
        "invoice_from_order": "issued",
        "legal_name": "Millbook Machining Ltd",
        "payment_instructions": "IBAN GB00 1234",
        "default_payment_terms": "Net 45",
    }
    saved = (await caller.put("/v1/billing/settings", body)).json()["data"]
    assert saved["invoice_from_order"] == "issued"
    again = (await caller.get("/v1/billing/settings")).json()["data"]
    assert again["legal_name"] == "Millbook Machining Ltd"
    bad = await caller.put("/v1/billing/settings", {"invoice_from_order": "sometimes"})
    assert bad.status_code == 422


async def test_the_pdf_shows_seller_customer_lines_totals_and_how_to_pay(app, caller):
    customer = await a_customer(app, caller)
    await caller.put(
        "/v1/billing/settings",
        {
            "legal_name": "Millbook Machining Ltd",
            "address": "4 Forge Lane\nLeeds LS1 1AA",
            "payment_instructions": "Bank transfer to IBAN GB29 NWBK 6016 1331 9268 19",
        },
    )
    sent = await a_sent_invoice(caller, customer, "1234.50", due_date="2026-12-31")
    response = await caller.get(f"/v1/invoices/{sent['id']}/pdf")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert sent["invoice_number"] in response.headers["content-disposition"]
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    for expected in [
        "Millbook Machining Ltd",
        "4 Forge Lane",
        "Acme Machining",
        "1 Mill Road",
        "Machining 1",
        "1,234.50",
        "123.45",
        "1,357.95",
        "2026-12-31",
        sent["invoice_number"],
        "IBAN GB29",
    ]:
        assert expected in text, expected
    other = await caller.get(f"/v1/invoices/{uuid.uuid4()}/pdf")
    assert other.status_code == 404
