"""Supplier bills: entry against a PO, approval to accounts payable, voiding, payments."""

import asyncio
import uuid
from datetime import date
from decimal import Decimal as D

import pytest

from millbook_billing.bills.service import allocate_payment
from millbook_billing.suppliers.repository import get_supplier
from millbook_platform.db import unit_of_work
from millbook_platform.errors import InvalidTransition, NotFound, ValidationFailed
from millbook_testing.callers import error_of, fields_named

from .conftest import events_of
from .purchasing_events import (
    balances,
    bill_body,
    deliver,
    delivery,
    po_bill_line,
    po_line,
    purchase_order,
    supplier_created,
)

INVENTORY, INPUT_TAX, AP, GRNI, PPV, TRAVEL = "1200", "1300", "2000", "2300", "5100", "6200"


async def received_po(app, caller, *, accepted="100"):
    """A supplier, an approved PO of 100 x 5.50 (10% tax), and its goods receipt."""
    supplier = supplier_created()
    await deliver(app, caller.tenant_id, supplier)
    po = purchase_order(supplier, [po_line(1, "100", "5.50")])
    await deliver(app, caller.tenant_id, po)
    await deliver(app, caller.tenant_id, delivery(po, [(1, "100", accepted)]))
    return supplier, po


async def test_a_bill_against_a_received_po_is_entered_as_a_matched_draft(app, caller, sessions):
    supplier, po = await received_po(app, caller)
    bill = await caller.created(
        "/v1/bills", bill_body(supplier, po, [po_bill_line(1, "100", "5.50")])
    )
    assert (bill["status"], bill["match_status"], bill["internal_number"]) == (
        "draft",
        "matched",
        None,
    )
    assert (bill["subtotal"], bill["tax_amount"], bill["total_amount"]) == (
        "550.00",
        "55.00",
        "605.00",
    )
    assert (bill["balance_amount"], bill["currency_code"], bill["due_date"]) == (
        "605.00",
        "USD",
        "2026-04-11",  # the supplier's Net 30
    )
    assert bill["supplier_name"] == "ABC Materials Inc."
    (created,) = await events_of(sessions, caller.tenant_id, "billing.bill.created")
    assert created["bill_id"] == bill["id"]
    assert created["lines"][0]["po_line_number"] == 1


async def test_get_supplier_reads_the_read_model_of_the_callers_tenant(app, caller, sessions):
    supplier = supplier_created("Steel Co")
    await deliver(app, caller.tenant_id, supplier)
    async with unit_of_work(sessions, caller.tenant_id) as session:
        found = await get_supplier(session, caller.tenant_id, supplier.supplier_id)
        other = await get_supplier(session, uuid.uuid4(), supplier.supplier_id)
    assert found is not None
    assert (found.name, found.payment_terms) == ("Steel Co", "Net 30")
    assert other is None


async def test_a_supplier_bill_number_is_entered_once_per_supplier(app, caller):
    supplier, po = await received_po(app, caller)
    line = [po_bill_line(1, "10", "5.50")]
    first = await caller.created("/v1/bills", bill_body(supplier, po, line, number="A-1"))
    again = await caller.post("/v1/bills", bill_body(supplier, po, line, number="a-1"))
    assert again.status_code == 409, again.text
    assert error_of(again)["code"] == "RESOURCE_CONFLICT"
    assert error_of(again)["details"][0]["id"] == first["id"]

    other = supplier_created("Other Supplier")
    await deliver(app, caller.tenant_id, other)
    expense = [
        {
            "description": "Freight",
            "quantity": "1",
            "unit_price": "10",
            "expense_category": "travel",
        }
    ]
    await caller.created("/v1/bills", bill_body(other, None, expense, number="A-1"))

    voided = await caller.post(f"/v1/bills/{first['id']}/void", {"reason": "entered twice"})
    assert voided.json()["data"]["status"] == "voided"
    await caller.created("/v1/bills", bill_body(supplier, po, line, number="A-1"))


async def test_another_tenants_bill_and_supplier_are_not_found(app, caller, other_tenant):
    supplier, po = await received_po(app, caller)
    bill = await caller.created(
        "/v1/bills", bill_body(supplier, po, [po_bill_line(1, "1", "5.50")])
    )
    for response in (
        await other_tenant.get(f"/v1/bills/{bill['id']}"),
        await other_tenant.patch(f"/v1/bills/{bill['id']}", {"notes": "x"}),
        await other_tenant.post(f"/v1/bills/{bill['id']}/approve"),
        await other_tenant.delete(f"/v1/bills/{bill['id']}"),
        await other_tenant.post("/v1/bills", bill_body(supplier, None, [_expense()])),
    ):
        assert response.status_code == 404, response.text
        assert error_of(response)["code"] == "RESOURCE_NOT_FOUND"
    listed = await other_tenant.get("/v1/bills")
    assert listed.json()["meta"]["total"] == 0


def _expense(amount="45.00", category="travel"):
    return {
        "description": "Freight",
        "quantity": "1",
        "unit_price": amount,
        "expense_category": category,
    }


async def test_bad_bill_input_is_a_validation_error(app, caller):
    supplier, po = await received_po(app, caller)
    cases = [
        (
            bill_body(supplier, po, [po_bill_line(1, "1", "5.50")], due_date="2026-03-01"),
            "due_date",
        ),
        (bill_body(supplier, None, [po_bill_line(1, "1", "5.50")]), "line_items[0].po_line_number"),
        (
            bill_body(supplier, None, [{"description": "x", "quantity": "1", "unit_price": "1"}]),
            "line_items[0]",
        ),
        (bill_body(supplier, None, [_expense()], currency_code="EUR"), "exchange_rate"),
        (bill_body(supplier, None, [_expense()], exchange_rate="1.2"), "exchange_rate"),
        (bill_body(supplier, None, []), "line_items"),
    ]
    for body, field in cases:
        response = await caller.post("/v1/bills", body)
        assert response.status_code == 422, (field, response.text)
        assert field in fields_named(response), (field, response.text)


async def test_a_po_of_another_supplier_is_refused(app, caller):
    _, po = await received_po(app, caller)
    other = supplier_created("Other Supplier")
    await deliver(app, caller.tenant_id, other)
    response = await caller.post("/v1/bills", bill_body(other, po, [po_bill_line(1, "1", "5.50")]))
    assert response.status_code == 422
    assert fields_named(response) == {"purchase_order_id"}


async def test_approving_posts_grni_at_po_price_and_the_price_variance(app, caller, sessions):
    supplier, po = await received_po(app, caller)
    after_receipt = await balances(caller)
    assert (after_receipt[INVENTORY], after_receipt[GRNI]) == (D("550.00"), D("550.00"))

    bill = await caller.created(
        "/v1/bills",
        bill_body(supplier, po, [po_bill_line(1, "100", "5.60"), _expense("45.00")]),
    )
    assert bill["match_status"] == "matched"  # 5.60 is within 2% of 5.50
    approved = await caller.post(f"/v1/bills/{bill['id']}/approve")
    assert approved.status_code == 200, approved.text
    data = approved.json()["data"]
    assert (data["status"], data["internal_number"]) == ("open", "BILL-2026-0001")

    ledger = await balances(caller)
    assert ledger[GRNI] == D(0)  # cleared at the PO price
    assert ledger[PPV] == D("10.00")  # 100 x 0.10 more than ordered
    assert ledger[TRAVEL] == D("45.00")
    assert ledger[INPUT_TAX] == D("56.00")
    assert ledger[AP] == D("661.00") == D(data["total_amount"])
    (event,) = await events_of(sessions, caller.tenant_id, "billing.bill.approved")
    assert (event["internal_number"], event["match_result"]) == ("BILL-2026-0001", "matched")


async def test_approved_bills_show_in_accounts_payable_aging(app, caller):
    supplier, po = await received_po(app, caller)
    bill = await caller.created(
        "/v1/bills", bill_body(supplier, po, [po_bill_line(1, "100", "5.50")])
    )
    await caller.post(f"/v1/bills/{bill['id']}/approve")
    response = await caller.get(
        "/v1/reports/accounts-payable-aging",
        params={"as_of_date": "2026-05-20", "detail": "items"},
    )
    assert response.status_code == 200, response.text
    report = response.json()["data"]
    assert report["summary"]["total"] == "605.00"
    (detail,) = report["details"]
    assert detail["supplier_id"] == str(supplier.supplier_id)
    (document,) = detail["documents"]
    assert (document["document_id"], document["document_number"]) == (bill["id"], "BILL-2026-0001")
    assert document["days_past_due"] == 39  # due 2026-04-11


async def test_a_bill_in_exception_needs_an_override_reason(app, caller, sessions):
    supplier, po = await received_po(app, caller, accepted="90")
    bill = await caller.created(
        "/v1/bills", bill_body(supplier, po, [po_bill_line(1, "100", "5.50")])
    )
    assert bill["match_status"] == "exception"

    refused = await caller.post(f"/v1/bills/{bill['id']}/approve")
    assert refused.status_code == 409
    assert error_of(refused)["code"] == "INVALID_TRANSITION"
    assert fields_named(refused) == {"override_reason"}
    assert (await caller.get(f"/v1/bills/{bill['id']}")).json()["data"]["status"] == "draft"

    approved = await caller.post(
        f"/v1/bills/{bill['id']}/approve", {"override_reason": "10 more arrive Friday"}
    )
    assert approved.status_code == 200, approved.text
    assert approved.json()["data"]["override_reason"] == "10 more arrive Friday"
    (event,) = await events_of(sessions, caller.tenant_id, "billing.bill.approved")
    assert (event["match_result"], event["override_reason"]) == (
        "exception",
        "10 more arrive Friday",
    )


async def test_only_drafts_are_edited_or_deleted(app, caller):
    supplier, po = await received_po(app, caller)
    bill = await caller.created(
        "/v1/bills", bill_body(supplier, po, [po_bill_line(1, "50", "5.50")])
    )
    patched = await caller.patch(
        f"/v1/bills/{bill['id']}",
        {
            "line_items": [po_bill_line(1, "100", "5.50"), _expense("10.00")],
            "payment_terms": "Net 10",
        },
    )
    assert patched.status_code == 200, patched.text
    data = patched.json()["data"]
    assert (data["subtotal"], data["total_amount"], data["due_date"]) == (
        "560.00",
        "615.00",
        "2026-03-22",
    )
    assert len(data["line_items"]) == 2

    await caller.post(f"/v1/bills/{bill['id']}/approve")
    for response in (
        await caller.patch(f"/v1/bills/{bill['id']}", {"notes": "late edit"}),
        await caller.delete(f"/v1/bills/{bill['id']}"),
        await caller.post(f"/v1/bills/{bill['id']}/approve"),
    ):
        assert response.status_code == 409, response.text
        assert error_of(response)["code"] == "INVALID_TRANSITION"

    draft = await caller.created("/v1/bills", bill_body(supplier, None, [_expense()], number="D-1"))
    assert (await caller.delete(f"/v1/bills/{draft['id']}")).status_code == 204

    sessions = app.state.sessions
    (updated,) = await events_of(sessions, caller.tenant_id, "billing.bill.updated")
    assert (updated["bill_id"], updated["total_amount"]) == (bill["id"], "615.00")
    (deleted,) = await events_of(sessions, caller.tenant_id, "billing.bill.deleted")
    assert (deleted["bill_id"], deleted["bill_number"]) == (draft["id"], "D-1")
    assert (await caller.get(f"/v1/bills/{draft['id']}")).status_code == 404


async def test_voiding_an_approved_bill_reverses_its_posting(app, caller, sessions):
    supplier, po = await received_po(app, caller)
    bill = await caller.created(
        "/v1/bills", bill_body(supplier, po, [po_bill_line(1, "100", "5.50")])
    )
    await caller.post(f"/v1/bills/{bill['id']}/approve")
    voided = await caller.post(f"/v1/bills/{bill['id']}/void", {"reason": "duplicate"})
    assert voided.status_code == 200, voided.text
    assert (voided.json()["data"]["status"], voided.json()["data"]["void_reason"]) == (
        "voided",
        "duplicate",
    )
    ledger = await balances(caller)
    assert (ledger[AP], ledger[INPUT_TAX], ledger[GRNI]) == (D(0), D(0), D("550.00"))
    assert len(await events_of(sessions, caller.tenant_id, "billing.bill.voided")) == 1
    again = await caller.post(f"/v1/bills/{bill['id']}/void")
    assert again.status_code == 409


async def test_allocating_payments_moves_a_bill_to_partial_then_paid(app, caller, sessions):
    supplier, po = await received_po(app, caller)
    bill = await caller.created(
        "/v1/bills", bill_body(supplier, po, [po_bill_line(1, "100", "5.50")])
    )
    bill_id = uuid.UUID(bill["id"])
    async with unit_of_work(sessions, caller.tenant_id) as session:
        with pytest.raises(InvalidTransition):
            await allocate_payment(
                session, caller.tenant_id, bill_id, D(1), payment_date=date(2026, 4, 1)
            )
    await caller.post(f"/v1/bills/{bill['id']}/approve")

    async with unit_of_work(sessions, caller.tenant_id) as session:
        result = await allocate_payment(
            session, caller.tenant_id, bill_id, D("105.00"), payment_date=date(2026, 4, 1)
        )
    assert (result.bill.number, result.bill.document_type, result.supplier.party_id) == (
        "BILL-2026-0001",
        "bill",
        supplier.supplier_id,
    )
    assert (result.fx.currency_code, result.fx.rate) == ("USD", D(1))
    partial = (await caller.get(f"/v1/bills/{bill['id']}")).json()["data"]
    assert (partial["status"], partial["paid_amount"], partial["balance_amount"]) == (
        "partial",
        "105.00",
        "500.00",
    )

    async with unit_of_work(sessions, caller.tenant_id) as session:
        with pytest.raises(ValidationFailed):
            await allocate_payment(
                session, caller.tenant_id, bill_id, D("500.01"), payment_date=date(2026, 4, 2)
            )
    async with unit_of_work(sessions, caller.tenant_id) as session:
        await allocate_payment(
            session, caller.tenant_id, bill_id, D("500.00"), payment_date=date(2026, 4, 2)
        )
    paid = (await caller.get(f"/v1/bills/{bill['id']}")).json()["data"]
    assert (paid["status"], paid["balance_amount"], paid["paid_at"]) == (
        "paid",
        "0.00",
        "2026-04-02",
    )
    (event,) = await events_of(sessions, caller.tenant_id, "billing.bill.paid")
    assert (event["bill_id"], event["paid_at"]) == (bill["id"], "2026-04-02")
    assert (await caller.post(f"/v1/bills/{bill['id']}/void")).status_code == 409


async def test_allocating_to_another_tenants_bill_is_not_found(app, caller, other_tenant, sessions):
    supplier, po = await received_po(app, caller)
    bill = await caller.created(
        "/v1/bills", bill_body(supplier, po, [po_bill_line(1, "1", "5.50")])
    )
    async with unit_of_work(sessions, other_tenant.tenant_id) as session:
        with pytest.raises(NotFound):
            await allocate_payment(
                session,
                other_tenant.tenant_id,
                uuid.UUID(bill["id"]),
                D(1),
                payment_date=date(2026, 4, 1),
            )


async def test_concurrent_payments_never_overpay_a_bill(app, caller, sessions):
    supplier, po = await received_po(app, caller)
    bill = await caller.created(
        "/v1/bills", bill_body(supplier, po, [po_bill_line(1, "100", "5.50")])
    )
    await caller.post(f"/v1/bills/{bill['id']}/approve")

    async def pay() -> str:
        try:
            async with unit_of_work(sessions, caller.tenant_id) as session:
                await allocate_payment(
                    session,
                    caller.tenant_id,
                    uuid.UUID(bill["id"]),
                    D("400.00"),
                    payment_date=date(2026, 4, 1),
                )
        except ValidationFailed:
            return "refused"
        return "paid"

    outcomes = await asyncio.gather(pay(), pay(), pay())
    assert sorted(outcomes) == ["paid", "refused", "refused"]
    data = (await caller.get(f"/v1/bills/{bill['id']}")).json()["data"]
    assert (data["paid_amount"], data["balance_amount"]) == ("400.00", "205.00")


async def test_bills_are_listed_by_status_supplier_po_date_and_overdue(app, caller):
    supplier, po = await received_po(app, caller)
    other = supplier_created("Other Supplier")
    await deliver(app, caller.tenant_id, other)
    old = await caller.created(
        "/v1/bills", bill_body(supplier, po, [po_bill_line(1, "10", "5.50")], number="B-1")
    )
    await caller.post(f"/v1/bills/{old['id']}/approve")  # due 2026-04-11: overdue by now
    fresh = await caller.created(
        "/v1/bills",
        bill_body(
            other, None, [_expense()], number="B-2", bill_date="2026-06-01", due_date="2099-01-01"
        ),
    )

    async def ids(**params):
        response = await caller.get("/v1/bills", params=params)
        assert response.status_code == 200, response.text
        return {row["id"] for row in response.json()["data"]}

    assert await ids() == {old["id"], fresh["id"]}
    assert await ids(status="open") == {old["id"]}
    assert await ids(supplier_id=str(other.supplier_id)) == {fresh["id"]}
    assert await ids(purchase_order_id=str(po.purchase_order_id)) == {old["id"]}
    assert await ids(date_from="2026-05-01") == {fresh["id"]}
    assert await ids(date_to="2026-05-01") == {old["id"]}
    assert await ids(overdue_only="true") == {old["id"]}
    listed = (await caller.get("/v1/bills", params={"overdue_only": "true"})).json()["data"]
    assert listed[0]["overdue"] is True


async def test_bill_scopes_are_enforced(app, caller):
    supplier, _ = await received_po(app, caller)
    reader = caller.as_scope("invoices:read")
    response = await reader.post("/v1/bills", bill_body(supplier, None, [_expense()]))
    assert response.status_code == 403
    assert (await reader.get("/v1/bills")).status_code == 200


async def test_a_completed_document_becomes_a_draft_bill(app, caller, sessions):
    from millbook_billing.models import Attachment, Document

    supplier = supplier_created("Acme Tools GmbH")
    await deliver(app, caller.tenant_id, supplier)

    async def document(status, extracted):
        async with unit_of_work(sessions, caller.tenant_id) as session:
            attachment = Attachment(
                tenant_id=caller.tenant_id,
                purpose="document",
                filename="invoice.pdf",
                media_type="application/pdf",
                size_bytes=4,
                sha256="0" * 64,
                content=b"%PDF",
            )
            session.add(attachment)
            await session.flush()
            row = Document(
                tenant_id=caller.tenant_id,
                attachment_id=attachment.id,
                document_type="supplier_invoice",
                file_name="invoice.pdf",
                status=status,
                extracted=extracted,
            )
            session.add(row)
        return row.id

    def field(value):
        return {"value": value, "confidence": 0.9}

    extracted = {
        "supplier_name": field("ACME Tools GmbH "),
        "document_number": field("R-2026-118"),
        "document_date": field("2026-03-05"),
        "due_date": field("2026-03-19"),
        "currency_code": field("USD"),
        "subtotal": field("200.00"),
        "tax_amount": field("38.00"),
        "total_amount": field("238.00"),
    }
    doc_id = await document("completed", extracted)
    made = await caller.post(f"/v1/bills/from-document/{doc_id}", {"expense_category": "office"})
    assert made.status_code == 201, made.text
    bill = made.json()["data"]
    assert (bill["supplier_id"], bill["bill_number"], bill["bill_date"], bill["due_date"]) == (
        str(supplier.supplier_id),
        "R-2026-118",
        "2026-03-05",
        "2026-03-19",
    )
    assert (bill["subtotal"], bill["tax_amount"], bill["total_amount"]) == (
        "200.00",
        "38.00",
        "238.00",
    )
    assert (bill["status"], bill["document_id"]) == ("draft", str(doc_id))
    assert bill["line_items"][0]["expense_category"] == "office"
    assert (await caller.post(f"/v1/bills/from-document/{doc_id}")).status_code == 409

    unknown = await document("completed", {**extracted, "supplier_name": field("Nobody Ltd")})
    asked = await caller.post(f"/v1/bills/from-document/{unknown}")
    assert asked.status_code == 422
    assert fields_named(asked) == {"supplier_id"}
    other = supplier_created("Other Supplier")
    await deliver(app, caller.tenant_id, other)
    named = await caller.post(
        f"/v1/bills/from-document/{unknown}", {"supplier_id": str(other.supplier_id)}
    )
    assert named.status_code == 201, named.text

    processing = await document("processing", None)
    assert (await caller.post(f"/v1/bills/from-document/{processing}")).status_code == 409
    assert (await caller.post(f"/v1/bills/from-document/{uuid.uuid4()}")).status_code == 404


async def test_a_supplier_payment_settles_the_bill_and_moves_ap_aging(app, caller, sessions):
    supplier, po = await received_po(app, caller)
    bill = await caller.created(
        "/v1/bills", bill_body(supplier, po, [po_bill_line(1, "100", "5.50")])
    )
    await caller.post(f"/v1/bills/{bill['id']}/approve")

    async def pay(amount: str):
        return await caller.post(
            "/v1/payments",
            {
                "payment_type": "payment",
                "supplier_id": str(supplier.supplier_id),
                "amount": amount,
                "payment_date": "2026-04-20",
                "allocations": [{"bill_id": bill["id"], "amount": amount}],
            },
        )

    first = await pay("300.00")
    assert first.status_code == 201, first.text
    data = (await caller.get(f"/v1/bills/{bill['id']}")).json()["data"]
    assert (data["status"], data["balance_amount"]) == ("partial", "305.00")
    aging = await caller.get(
        "/v1/reports/accounts-payable-aging", params={"as_of_date": "2026-04-30"}
    )
    assert aging.json()["data"]["summary"]["total"] == "305.00"

    too_much = await pay("305.01")
    assert too_much.status_code == 422, too_much.text
    assert (await pay("305.00")).status_code == 201
    data = (await caller.get(f"/v1/bills/{bill['id']}")).json()["data"]
    assert (data["status"], data["balance_amount"]) == ("paid", "0.00")
    assert (await balances(caller))[AP] == D(0)
    assert len(await events_of(sessions, caller.tenant_id, "billing.bill.paid")) == 1


async def test_concurrent_entries_of_one_supplier_bill_number_make_one_bill(app, caller):
    supplier, po = await received_po(app, caller)
    body = bill_body(supplier, po, [po_bill_line(1, "1", "5.50")], number="RACE-1")
    lower = bill_body(supplier, po, [po_bill_line(1, "1", "5.50")], number="race-1")
    responses = await asyncio.gather(*(caller.post("/v1/bills", b) for b in (body, lower, body)))
    assert sorted(r.status_code for r in responses) == [201, 409, 409]
    listed = await caller.get("/v1/bills", params={"supplier_id": str(supplier.supplier_id)})
    assert listed.json()["meta"]["total"] == 1
