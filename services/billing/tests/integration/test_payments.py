"""Payments against real PostgreSQL: allocations, credit, refunds, races, the ledger."""

from __future__ import annotations

import asyncio
import uuid
from decimal import Decimal

from millbook_testing.callers import error_of, fields_named

from .conftest import events_of
from .purchasing_events import (
    bill_body,
    delivery,
    po_bill_line,
    po_line,
    purchase_order,
    supplier_created,
)
from .purchasing_events import deliver as deliver_purchasing
from .receivables import a_customer, a_sent_invoice, account_balances, entries_balance

D = Decimal


def receipt(customer: uuid.UUID, amount: str, *allocations: tuple[str, str], **extra) -> dict:
    return {
        "payment_type": "receipt",
        "customer_id": str(customer),
        "amount": amount,
        "payment_date": "2026-05-01",
        "payment_method": "bank_transfer",
        "payment_reference": "TXN123456",
        "allocations": [{"invoice_id": i, "amount": a} for i, a in allocations],
        **extra,
    }


async def invoice(caller, invoice_id: str) -> dict:
    data: dict = (await caller.get(f"/v1/invoices/{invoice_id}")).json()["data"]
    return data


async def test_a_partial_then_full_payment_moves_the_invoice_to_partial_then_paid(
    app, caller, sessions
):
    customer = await a_customer(app, caller)
    sent = await a_sent_invoice(caller, customer, "1000.00")  # 1100.00 with tax
    first = await caller.created(
        "/v1/payments", receipt(customer, "500.00", (sent["id"], "500.00"))
    )
    assert first["payment_number"].startswith("PAY-")
    assert (first["allocated_amount"], first["unapplied_amount"]) == ("500.00", "0.00")
    after = await invoice(caller, sent["id"])
    assert (after["status"], after["paid_amount"], after["balance_amount"]) == (
        "partial",
        "500.00",
        "600.00",
    )
    await caller.created("/v1/payments", receipt(customer, "600.00", (sent["id"], "600.00")))
    assert (await invoice(caller, sent["id"]))["status"] == "paid"

    [partial] = await events_of(sessions, caller.tenant_id, "billing.invoice.partially_paid")
    assert (partial["amount_applied"], partial["balance_amount"]) == ("500.00", "600.00")
    [paid] = await events_of(sessions, caller.tenant_id, "billing.invoice.paid")
    assert paid["balance_amount"] == "0.00"
    received = await events_of(sessions, caller.tenant_id, "billing.payment.received")
    assert [e["amount"] for e in received] == ["500.00", "600.00"]
    assert received[0]["allocations"][0]["document_number"] == sent["invoice_number"]
    assert await account_balances(sessions, caller.tenant_id) == {
        "1000": D("1100.00"),
        "2100": D("-100.00"),
        "4000": D("-1000.00"),
    }
    assert await entries_balance(sessions, caller.tenant_id) == 0


async def test_one_receipt_settles_several_invoices_and_keeps_the_rest_as_credit(
    app, caller, sessions
):
    customer = await a_customer(app, caller)
    a = await a_sent_invoice(caller, customer, "100.00")
    b = await a_sent_invoice(caller, customer, "200.00")
    c = await a_sent_invoice(caller, customer, "50.00")
    body = receipt(customer, "400.00", (a["id"], "110.00"), (b["id"], "220.00"))
    payment = await caller.created("/v1/payments", body)
    assert payment["unapplied_amount"] == "70.00"
    assert (await invoice(caller, a["id"]))["status"] == "paid"
    balances = await account_balances(sessions, caller.tenant_id)
    assert balances["2200"] == D("-70.00")  # customer credit

    response = await caller.post(
        f"/v1/payments/{payment['id']}/allocate",
        {"allocations": [{"invoice_id": c["id"], "amount": "55.00"}]},
    )
    assert response.status_code == 200, response.text
    assert response.json()["data"]["unapplied_amount"] == "15.00"
    assert len(response.json()["data"]["allocations"]) == 3
    assert (await invoice(caller, c["id"]))["status"] == "paid"
    balances = await account_balances(sessions, caller.tenant_id)
    assert balances["2200"] == D("-15.00")
    assert "1100" not in balances  # every receivable cleared

    too_much = await caller.post(
        f"/v1/payments/{payment['id']}/refund", {"amount": "15.01", "payment_date": "2026-05-02"}
    )
    assert too_much.status_code == 422
    assert fields_named(too_much) == {"amount"}
    refund = await caller.post(
        f"/v1/payments/{payment['id']}/refund", {"amount": "15.00", "payment_date": "2026-05-02"}
    )
    assert refund.status_code == 201, refund.text
    assert refund.json()["data"]["payment_type"] == "refund"
    assert refund.json()["data"]["refund_of"] == payment["id"]
    original = (await caller.get(f"/v1/payments/{payment['id']}")).json()["data"]
    assert (original["refunded_amount"], original["unapplied_amount"]) == ("15.00", "0.00")
    balances = await account_balances(sessions, caller.tenant_id)
    assert "2200" not in balances
    assert balances["1000"] == D("385.00")
    [refunded] = await events_of(sessions, caller.tenant_id, "billing.payment.refunded")
    assert refunded["refund_of"] == payment["id"]
    assert await entries_balance(sessions, caller.tenant_id) == 0


async def test_allocating_more_than_a_balance_is_refused_and_writes_nothing(app, caller, sessions):
    customer = await a_customer(app, caller)
    a = await a_sent_invoice(caller, customer, "100.00")
    b = await a_sent_invoice(caller, customer, "100.00")
    body = receipt(customer, "300.00", (a["id"], "110.00"), (b["id"], "110.01"))
    response = await caller.post("/v1/payments", body)
    assert response.status_code == 422
    assert error_of(response)["code"] == "VALIDATION_ERROR"
    assert fields_named(response) == {"allocations[1].amount"}
    assert (await invoice(caller, a["id"]))["status"] == "sent"  # nothing partial written
    assert (await caller.get("/v1/payments")).json()["meta"]["total"] == 0
    assert await events_of(sessions, caller.tenant_id, "billing.payment.received") == []


async def test_allocations_above_the_payment_amount_are_refused(app, caller):
    customer = await a_customer(app, caller)
    a = await a_sent_invoice(caller, customer, "100.00")
    response = await caller.post("/v1/payments", receipt(customer, "50.00", (a["id"], "60.00")))
    assert response.status_code == 422
    assert fields_named(response) == {"allocations"}


async def test_allocation_to_a_draft_another_customers_or_another_tenants_invoice(
    app, caller, other_tenant
):
    customer = await a_customer(app, caller)
    someone_else = await a_customer(app, caller, name="Bolt Works")
    theirs = await a_sent_invoice(caller, someone_else, "10.00")
    draft = await caller.created(
        "/v1/invoices",
        {
            "customer_id": str(customer),
            "line_items": [{"description": "x", "quantity": "1", "unit_price": "5"}],
        },
    )
    response = await caller.post(
        "/v1/payments",
        receipt(customer, "20.00", (theirs["id"], "5.00"), (draft["id"], "5.00")),
    )
    assert response.status_code == 422
    assert fields_named(response) == {"allocations[0].invoice_id", "allocations[1].invoice_id"}

    other_customer = await a_customer(app, other_tenant)
    other_invoice = await a_sent_invoice(other_tenant, other_customer, "10.00")
    response = await caller.post(
        "/v1/payments", receipt(customer, "5.00", (other_invoice["id"], "5.00"))
    )
    assert response.status_code == 404
    response = await caller.post("/v1/payments", receipt(other_customer, "5.00"))
    assert response.status_code == 404
    paid_by_them = await other_tenant.created("/v1/payments", receipt(other_customer, "5.00"))
    assert (await caller.get(f"/v1/payments/{paid_by_them['id']}")).status_code == 404


async def test_two_concurrent_receipts_for_the_full_balance_never_overpay(app, caller, sessions):
    customer = await a_customer(app, caller)
    sent = await a_sent_invoice(caller, customer, "100.00")
    body = receipt(customer, "110.00", (sent["id"], "110.00"))
    responses = await asyncio.gather(*(caller.post("/v1/payments", body) for _ in range(2)))
    assert sorted(r.status_code for r in responses) == [201, 422]
    after = await invoice(caller, sent["id"])
    assert (after["status"], after["paid_amount"], after["balance_amount"]) == (
        "paid",
        "110.00",
        "0.00",
    )
    assert len(await events_of(sessions, caller.tenant_id, "billing.payment.received")) == 1


async def test_list_filters_by_type_customer_and_date(app, caller):
    acme = await a_customer(app, caller)
    bolt = await a_customer(app, caller, name="Bolt Works")
    first = await caller.created("/v1/payments", receipt(acme, "10.00", payment_date="2026-01-10"))
    second = await caller.created("/v1/payments", receipt(bolt, "20.00", payment_date="2026-02-10"))
    await caller.post(f"/v1/payments/{first['id']}/refund", {"amount": "1.00"})

    async def ids(**params):
        response = await caller.get("/v1/payments", params=params)
        assert response.status_code == 200, response.text
        return {row["id"] for row in response.json()["data"]}

    assert await ids(customer_id=str(bolt)) == {second["id"]}
    assert await ids(date_from="2026-02-01", type="receipt") == {second["id"]}
    assert await ids(date_to="2026-01-31") == {first["id"]}
    assert len(await ids(type="refund")) == 1
    assert (await caller.get("/v1/payments", params={"type": "gift"})).status_code == 422


async def test_a_receipt_needs_a_customer_and_only_invoice_allocations(app, caller):
    customer = await a_customer(app, caller)
    response = await caller.post("/v1/payments", {"payment_type": "receipt", "amount": "5.00"})
    assert response.status_code == 422
    assert fields_named(response) == {"customer_id"}
    bill = {"bill_id": str(uuid.uuid4()), "amount": "5.00"}
    response = await caller.post(
        "/v1/payments", {**receipt(customer, "5.00"), "allocations": [bill]}
    )
    assert response.status_code == 422
    assert fields_named(response) == {"allocations[0].invoice_id"}
    response = await caller.post("/v1/payments", receipt(customer, "0"))
    assert response.status_code == 422


async def an_approved_bill(app, caller) -> tuple[dict, object]:
    """An approved bill of 605.00 (100 x 5.50 + 10% tax) from PAYABLES' flow."""
    supplier = supplier_created()
    await deliver_purchasing(app, caller.tenant_id, supplier)
    po = purchase_order(supplier, [po_line(1, "100", "5.50")])
    await deliver_purchasing(app, caller.tenant_id, po)
    await deliver_purchasing(app, caller.tenant_id, delivery(po, [(1, "100", "100")]))
    bill = await caller.created(
        "/v1/bills", bill_body(supplier, po, [po_bill_line(1, "100", "5.50")])
    )
    assert (await caller.post(f"/v1/bills/{bill['id']}/approve")).status_code == 200
    return bill, supplier


async def test_a_supplier_payment_settles_bills_and_posts_ap_against_cash(app, caller, sessions):
    bill, supplier = await an_approved_bill(app, caller)
    body = {
        "payment_type": "payment",
        "supplier_id": str(supplier.supplier_id),
        "amount": "605.00",
        "payment_date": "2026-04-03",
        "allocations": [{"bill_id": bill["id"], "amount": "605.00"}],
    }
    too_much = await caller.post(
        "/v1/payments",
        {**body, "amount": "700.00", "allocations": [{"bill_id": bill["id"], "amount": "605.01"}]},
    )
    assert too_much.status_code == 422
    assert fields_named(too_much) == {"allocations[0].amount"}
    payment = await caller.created("/v1/payments", body)
    assert payment["payment_type"] == "payment"
    assert payment["allocations"][0]["document_number"].startswith("BILL-")
    assert (await caller.get(f"/v1/bills/{bill['id']}")).json()["data"]["status"] == "paid"
    balances = await account_balances(sessions, caller.tenant_id)
    assert "2000" not in balances  # accounts payable cleared
    assert balances["1000"] == D("-605.00")
    [made] = await events_of(sessions, caller.tenant_id, "billing.payment.made")
    assert made["allocations"][0]["document_type"] == "bill"
    listed = await caller.get("/v1/payments", params={"supplier_id": str(supplier.supplier_id)})
    assert [row["id"] for row in listed.json()["data"]] == [payment["id"]]
    assert await entries_balance(sessions, caller.tenant_id) == 0


async def test_a_supplier_payment_needs_a_known_supplier_and_bill_allocations(app, caller):
    response = await caller.post("/v1/payments", {"payment_type": "payment", "amount": "5.00"})
    assert fields_named(response) == {"supplier_id"}
    unknown = {"payment_type": "payment", "supplier_id": str(uuid.uuid4()), "amount": "5.00"}
    assert (await caller.post("/v1/payments", unknown)).status_code == 404
    _, supplier = await an_approved_bill(app, caller)
    wrong = {
        "payment_type": "payment",
        "supplier_id": str(supplier.supplier_id),
        "amount": "5.00",
        "allocations": [{"invoice_id": str(uuid.uuid4()), "amount": "5.00"}],
    }
    response = await caller.post("/v1/payments", wrong)
    assert fields_named(response) == {"allocations[0].bill_id"}
    missing_bill = {**wrong, "allocations": [{"bill_id": str(uuid.uuid4()), "amount": "5.00"}]}
    response = await caller.post("/v1/payments", missing_bill)
    assert response.status_code == 404
    assert fields_named(response) == {"allocations[0].bill_id"}


async def test_a_foreign_receipt_at_another_rate_posts_the_fx_difference(app, caller, sessions):
    customer = await a_customer(app, caller, currency_code="EUR")
    sent = await a_sent_invoice(caller, customer, "100.00", exchange_rate="1.20")  # AR 132.00
    no_rate = await caller.post("/v1/payments", receipt(customer, "110.00", (sent["id"], "110.00")))
    assert fields_named(no_rate) == {"exchange_rate"}
    body = receipt(customer, "110.00", (sent["id"], "110.00"), exchange_rate="1.25")
    payment = await caller.created("/v1/payments", body)
    assert (payment["currency_code"], payment["exchange_rate"]) == ("EUR", "1.25")
    balances = await account_balances(sessions, caller.tenant_id)
    assert balances["1000"] == D("137.50")
    assert balances["5200"] == D("-5.50")  # a gain: the euro was worth more when paid
    assert "1100" not in balances
    assert await entries_balance(sessions, caller.tenant_id) == 0
