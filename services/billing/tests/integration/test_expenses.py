"""Expenses over HTTP: record, validate, list, edit while pending, approve into the ledger,
reject, receipts, and another tenant's expenses."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from millbook_billing.customers.consumer import CUSTOMERS, customers_consumer
from millbook_billing.models.ledger import JournalEntry, JournalLine
from millbook_contracts.sales import CustomerCreated
from millbook_platform.db import unit_of_work
from millbook_testing.callers import error_of, fields_named

from .conftest import events_of
from .test_attachments import pdf_bytes, png_bytes

PATH = "/v1/expenses"

OFFICE = {
    "description": "Printer paper and toner",
    "amount": "55.00",
    "tax_amount": "5.00",
    "category": "office",
    "expense_date": "2026-03-04",
    "receipt_number": "REC-001",
    "vendor": "Office Store",
}


async def a_customer(app, caller, currency_code: str = "USD") -> uuid.UUID:
    """A customer in billing's read model, delivered as sales' event would be."""
    event = CustomerCreated(
        customer_id=uuid.uuid4(),
        customer_code="CUST-0001",
        name="Acme Machining",
        payment_terms="Net 30",
        currency_code=currency_code,
        status="active",
        occurred_at=datetime.now(UTC),
    )
    consumer = customers_consumer(app.state.runtime.settings)(app.state.sessions)
    envelope = event.envelope(tenant_id=caller.tenant_id, source="/millbook/sales")
    assert await consumer.apply(envelope, CUSTOMERS[event.event_type]) == "processed"
    return event.customer_id


async def an_expense(caller, **overrides: Any) -> dict[str, Any]:
    return await caller.created(PATH, {**OFFICE, **overrides})


async def ledger_lines(sessions, tenant_id, expense_id) -> dict[str, tuple[Decimal, Decimal]]:
    async with unit_of_work(sessions, tenant_id) as session:
        rows = await session.execute(
            select(JournalLine.account_code, JournalLine.debit, JournalLine.credit)
            .join(JournalEntry, JournalEntry.id == JournalLine.entry_id)
            .where(
                JournalEntry.tenant_id == tenant_id,
                JournalEntry.source_type == "expense_approved",
                JournalEntry.source_id == expense_id,
            )
        )
        return {code: (debit, credit) for code, debit, credit in rows}


async def test_an_expense_is_recorded_pending_with_an_event(caller, sessions):
    expense = await an_expense(caller)
    assert expense["status"] == "pending"
    assert (expense["amount"], expense["tax_amount"], expense["currency_code"]) == (
        "55.00",
        "5.00",
        "USD",
    )
    assert (expense["category"], expense["vendor"], expense["is_billable"]) == (
        "office",
        "Office Store",
        False,
    )
    assert expense["attachments"] == []
    recorded = await events_of(sessions, caller.tenant_id, "billing.expense.recorded")
    assert [(e["expense_id"], e["amount"], e["status"]) for e in recorded] == [
        (expense["id"], "55.00", "pending")
    ]


async def test_amounts_are_validated_by_field(caller):
    cases = [
        ({"amount": "0"}, "amount"),
        ({"amount": "-5.00"}, "amount"),
        ({"tax_amount": "60.00"}, "tax_amount"),
        ({"tax_amount": "-1"}, "tax_amount"),
        ({"amount": "10.005"}, "amount"),
        ({"amount": 10.5}, None),  # a JSON number is accepted as a decimal
        ({"category": "yachts"}, "category"),
        ({"currency_code": "XXQ"}, "currency_code"),
        ({"expense_date": "04/03/2026"}, "expense_date"),
        ({"description": ""}, "description"),
    ]
    for change, field in cases:
        response = await caller.post(PATH, {**OFFICE, "tax_amount": "0", **change})
        if field is None:
            assert response.status_code == 201, response.text
            continue
        assert response.status_code == 422, (change, response.text)
        assert field in fields_named(response), (change, response.text)


async def test_yen_amounts_may_not_have_decimals(caller):
    response = await caller.post(
        PATH, {**OFFICE, "amount": "1000.50", "tax_amount": "0", "currency_code": "JPY"}
    )
    assert response.status_code == 422
    assert fields_named(response) == {"amount"}


async def test_a_billable_expense_needs_a_customer_of_this_organization(app, caller, other_tenant):
    missing = await caller.post(PATH, {**OFFICE, "is_billable": True})
    assert missing.status_code == 422
    assert fields_named(missing) == {"customer_id"}

    theirs = await a_customer(app, other_tenant)
    foreign = await caller.post(PATH, {**OFFICE, "is_billable": True, "customer_id": str(theirs)})
    assert foreign.status_code == 404
    assert fields_named(foreign) == {"customer_id"}

    mine = await a_customer(app, caller)
    expense = await an_expense(caller, is_billable=True, customer_id=str(mine))
    assert (expense["is_billable"], expense["customer_id"]) == (True, str(mine))


async def test_receipts_uploaded_first_are_linked_when_the_expense_is_recorded(caller):
    files = [("a.pdf", pdf_bytes()), ("b.png", png_bytes())]
    uploaded = [
        (await caller.post(f"{PATH}/attachments", files={"file": f})).json()["data"] for f in files
    ]
    expense = await an_expense(caller, attachment_ids=[a["id"] for a in uploaded])
    assert [a["filename"] for a in expense["attachments"]] == ["a.pdf", "b.png"]
    assert all(a["expense_id"] == expense["id"] for a in expense["attachments"])

    again = await caller.post(PATH, {**OFFICE, "attachment_ids": [uploaded[0]["id"]]})
    assert again.status_code == 409
    assert fields_named(again) == {"attachment_ids[0]"}

    unknown = await caller.post(PATH, {**OFFICE, "attachment_ids": [str(uuid.uuid4())]})
    assert unknown.status_code == 404
    assert fields_named(unknown) == {"attachment_ids[0]"}

    listed = await caller.get(f"{PATH}/attachments", params={"expense_id": expense["id"]})
    assert listed.json()["meta"]["total"] == 2


async def test_a_receipt_can_be_uploaded_straight_to_a_pending_expense(caller):
    expense = await an_expense(caller)
    response = await caller.post(
        f"{PATH}/attachments",
        files={"file": ("r.pdf", pdf_bytes())},
        data={"expense_id": expense["id"]},
    )
    assert response.status_code == 201, response.text
    assert response.json()["data"]["expense_id"] == expense["id"]
    fetched = (await caller.get(f"{PATH}/{expense['id']}")).json()["data"]
    assert [a["filename"] for a in fetched["attachments"]] == ["r.pdf"]

    unknown = await caller.post(
        f"{PATH}/attachments",
        files={"file": ("r.pdf", pdf_bytes())},
        data={"expense_id": str(uuid.uuid4())},
    )
    assert unknown.status_code == 404


async def test_a_pending_expense_is_edited_with_patch_and_put(caller, sessions):
    expense = await an_expense(caller)
    patched = await caller.patch(f"{PATH}/{expense['id']}", {"amount": "66.00", "vendor": None})
    assert patched.status_code == 200, patched.text
    assert (patched.json()["data"]["amount"], patched.json()["data"]["vendor"]) == ("66.00", None)
    assert patched.json()["data"]["description"] == OFFICE["description"]

    null = await caller.patch(f"{PATH}/{expense['id']}", {"amount": None})
    assert null.status_code == 422
    assert fields_named(null) == {"amount"}
    broken = await caller.patch(f"{PATH}/{expense['id']}", {"tax_amount": "70.00"})
    assert broken.status_code == 422
    assert (await caller.get(f"{PATH}/{expense['id']}")).json()["data"]["tax_amount"] == "5.00"

    updated = await events_of(sessions, caller.tenant_id, "billing.expense.updated")
    assert [(e["changed"], e["amount"]) for e in updated] == [(["amount", "vendor"], "66.00")]
    same = await caller.patch(f"{PATH}/{expense['id']}", {"amount": "66.0"})
    assert same.status_code == 200
    assert len(await events_of(sessions, caller.tenant_id, "billing.expense.updated")) == 1

    replaced = await caller.put(
        f"{PATH}/{expense['id']}",
        {"description": "Taxi", "amount": "20.00", "expense_date": "2026-03-05"},
    )
    assert replaced.status_code == 200, replaced.text
    data = replaced.json()["data"]
    assert (data["description"], data["category"], data["tax_amount"], data["vendor"]) == (
        "Taxi",
        "other",
        "0.00",
        None,
    )


async def test_approving_posts_a_balanced_entry_and_publishes(caller, sessions):
    expense = await an_expense(caller, category="travel", amount="110.00", tax_amount="10.00")
    response = await caller.post(f"{PATH}/{expense['id']}/approve")
    assert response.status_code == 200, response.text
    approved = response.json()["data"]
    assert approved["status"] == "approved"
    assert approved["decided_by"] == f"user:{caller.user_id}"

    lines = await ledger_lines(sessions, caller.tenant_id, uuid.UUID(expense["id"]))
    assert lines == {
        "6200": (Decimal("100.00"), Decimal("0")),  # travel expense, net of tax
        "1300": (Decimal("10.00"), Decimal("0")),  # input tax
        "1000": (Decimal("0"), Decimal("110.00")),  # cash
    }
    events = await events_of(sessions, caller.tenant_id, "billing.expense.approved")
    assert len(events) == 1
    assert events[0]["expense_id"] == expense["id"]
    assert events[0]["journal_entry_id"] is not None


async def test_a_decided_expense_cannot_be_decided_again_or_edited(caller, sessions):
    expense = await an_expense(caller)
    assert (await caller.post(f"{PATH}/{expense['id']}/approve")).status_code == 200
    for attempt in (
        caller.post(f"{PATH}/{expense['id']}/approve"),
        caller.post(f"{PATH}/{expense['id']}/reject", {"reason": "late"}),
        caller.patch(f"{PATH}/{expense['id']}", {"amount": "1.00"}),
        caller.delete(f"{PATH}/{expense['id']}"),
        caller.post(
            f"{PATH}/attachments",
            files={"file": ("late.pdf", pdf_bytes())},
            data={"expense_id": expense["id"]},
        ),
    ):
        response = await attempt
        assert response.status_code == 409, response.text
        assert error_of(response)["code"] == "INVALID_TRANSITION"
    # approved once, posted once
    assert len(await events_of(sessions, caller.tenant_id, "billing.expense.approved")) == 1


async def test_concurrent_approvals_post_one_entry(caller, sessions):
    expense = await an_expense(caller)
    responses = await asyncio.gather(
        *(caller.post(f"{PATH}/{expense['id']}/approve") for _ in range(3))
    )
    assert sorted(r.status_code for r in responses) == [200, 409, 409]
    lines = await ledger_lines(sessions, caller.tenant_id, uuid.UUID(expense["id"]))
    assert lines["1000"] == (Decimal("0"), Decimal("55.00"))
    assert len(await events_of(sessions, caller.tenant_id, "billing.expense.approved")) == 1


async def test_an_expense_in_another_currency_needs_its_rate_to_be_approved(caller, sessions):
    expense = await an_expense(caller, currency_code="EUR", amount="100.00", tax_amount="0")
    refused = await caller.post(f"{PATH}/{expense['id']}/approve")
    assert refused.status_code == 422
    assert fields_named(refused) == {"exchange_rate"}
    assert (await caller.get(f"{PATH}/{expense['id']}")).json()["data"]["status"] == "pending"

    patched = await caller.patch(f"{PATH}/{expense['id']}", {"exchange_rate": "1.1"})
    assert patched.json()["data"]["exchange_rate"] == "1.1"
    assert (await caller.post(f"{PATH}/{expense['id']}/approve")).status_code == 200
    lines = await ledger_lines(sessions, caller.tenant_id, uuid.UUID(expense["id"]))
    assert lines["1000"] == (Decimal("0"), Decimal("110.00"))  # in USD, the base currency


async def test_rejecting_needs_a_reason_and_posts_nothing(caller, sessions):
    expense = await an_expense(caller)
    no_reason = await caller.post(f"{PATH}/{expense['id']}/reject", {})
    assert no_reason.status_code == 422
    assert fields_named(no_reason) == {"reason"}

    response = await caller.post(f"{PATH}/{expense['id']}/reject", {"reason": "Personal purchase"})
    assert response.status_code == 200, response.text
    rejected = response.json()["data"]
    assert (rejected["status"], rejected["rejection_reason"]) == ("rejected", "Personal purchase")
    assert await ledger_lines(sessions, caller.tenant_id, uuid.UUID(expense["id"])) == {}
    events = await events_of(sessions, caller.tenant_id, "billing.expense.rejected")
    assert [(e["expense_id"], e["reason"]) for e in events] == [
        (expense["id"], "Personal purchase")
    ]


async def test_deleting_a_pending_expense_removes_its_receipts(caller, sessions):
    uploaded = (
        await caller.post(f"{PATH}/attachments", files={"file": ("a.pdf", pdf_bytes())})
    ).json()["data"]
    expense = await an_expense(caller, attachment_ids=[uploaded["id"]])
    assert (await caller.delete(f"{PATH}/{expense['id']}")).status_code == 204
    deleted = await events_of(sessions, caller.tenant_id, "billing.expense.deleted")
    assert [e["expense_id"] for e in deleted] == [expense["id"]]
    assert (await caller.get(f"{PATH}/{expense['id']}")).status_code == 404
    assert (await caller.get(f"{PATH}/attachments/{uploaded['id']}")).status_code == 404


async def test_expenses_are_filtered_searched_sorted_and_paged(app, caller):
    customer = await a_customer(app, caller)
    taxi = await an_expense(
        caller,
        description="Taxi to airport",
        category="travel",
        amount="30.00",
        tax_amount="0",
        expense_date="2026-01-10",
        vendor="City Cabs",
    )
    hotel = await an_expense(
        caller,
        description="Hotel",
        category="travel",
        amount="200.00",
        tax_amount="0",
        expense_date="2026-02-10",
        is_billable=True,
        customer_id=str(customer),
    )
    paper = await an_expense(caller, expense_date="2026-03-10")
    await caller.post(f"{PATH}/{paper['id']}/approve")

    async def ids(**params: Any) -> list[str]:
        response = await caller.get(PATH, params=params)
        assert response.status_code == 200, response.text
        return [e["id"] for e in response.json()["data"]]

    assert await ids() == [paper["id"], hotel["id"], taxi["id"]]
    assert await ids(category="travel", sort="amount") == [taxi["id"], hotel["id"]]
    assert await ids(status="approved") == [paper["id"]]
    assert await ids(date_from="2026-02-01", date_to="2026-02-28") == [hotel["id"]]
    assert await ids(is_billable="true") == [hotel["id"]]
    assert await ids(customer_id=str(customer)) == [hotel["id"]]
    assert await ids(search="city cab") == [taxi["id"]]
    assert await ids(search="100%") == []
    assert await ids(sort="-expense_date", limit=1, offset=1) == [hotel["id"]]
    paged = (await caller.get(PATH, params={"limit": 2})).json()["meta"]
    assert (paged["total"], paged["limit"]) == (3, 2)
    bad = await caller.get(PATH, params={"sort": "password"})
    assert bad.status_code == 422


async def test_another_tenants_receipt_cannot_be_linked(caller, other_tenant):
    theirs = (
        await other_tenant.post(f"{PATH}/attachments", files={"file": ("a.pdf", pdf_bytes())})
    ).json()["data"]
    response = await caller.post(PATH, {**OFFICE, "attachment_ids": [theirs["id"]]})
    assert response.status_code == 404
    assert fields_named(response) == {"attachment_ids[0]"}
    assert (await other_tenant.get(f"{PATH}/attachments/{theirs['id']}")).status_code == 200


async def test_another_tenants_expense_does_not_exist(caller, other_tenant):
    theirs = await an_expense(other_tenant)
    path = f"{PATH}/{theirs['id']}"
    for response in (
        await caller.get(path),
        await caller.patch(path, {"amount": "1.00"}),
        await caller.delete(path),
        await caller.post(f"{path}/approve"),
        await caller.post(f"{path}/reject", {"reason": "no"}),
    ):
        assert response.status_code == 404
        assert error_of(response)["code"] == "RESOURCE_NOT_FOUND"
    assert (await caller.get(PATH)).json()["meta"]["total"] == 0
    assert (await other_tenant.get(path)).json()["data"]["status"] == "pending"


async def test_scopes_guard_reading_writing_and_deleting(caller):
    expense = await an_expense(caller)
    reader = caller.as_scope("expenses:read")
    assert (await reader.get(PATH)).status_code == 200
    assert (await reader.post(PATH, OFFICE)).status_code == 403
    assert (await reader.post(f"{PATH}/{expense['id']}/approve")).status_code == 403
    writer = caller.as_scope("expenses:write")
    assert (await writer.delete(f"{PATH}/{expense['id']}")).status_code == 403


# Billing expenses on to a customer's draft invoice ----------------------------------


async def a_draft_invoice(caller, customer_id: uuid.UUID) -> dict[str, Any]:
    line = {"description": "Machining", "quantity": "1", "unit_price": "500.00", "tax_rate": "0"}
    return await caller.created(
        "/v1/invoices", {"customer_id": str(customer_id), "line_items": [line]}
    )


async def an_approved_billable_expense(caller, customer_id, **overrides: Any) -> dict[str, Any]:
    values = {
        "description": "Hotel stay",
        "vendor": "Hilton",
        "category": "travel",
        "amount": "220.00",
        "tax_amount": "20.00",
        "expense_date": "2026-03-04",
        "is_billable": True,
        "customer_id": str(customer_id),
        **overrides,
    }
    expense = await caller.created(PATH, values)
    assert (await caller.post(f"{PATH}/{expense['id']}/approve")).status_code == 200
    return expense


async def test_approved_billable_expenses_become_lines_of_the_customers_draft(
    app, caller, sessions
):
    customer = await a_customer(app, caller)
    invoice = await a_draft_invoice(caller, customer)
    hotel = await an_approved_billable_expense(caller, customer)
    taxi = await an_approved_billable_expense(
        caller, customer, description="Taxi", vendor=None, amount="30.00", tax_amount="0"
    )
    response = await caller.post(
        f"/v1/invoices/{invoice['id']}/billable-expenses",
        {"expense_ids": [hotel["id"], taxi["id"]]},
    )
    assert response.status_code == 200, response.text
    billed = response.json()["data"]
    assert billed["invoice_id"] == invoice["id"]
    assert {e["invoiced_invoice_id"] for e in billed["expenses"]} == {invoice["id"]}

    updated = (await caller.get(f"/v1/invoices/{invoice['id']}")).json()["data"]
    assert [(line["description"], line["unit_price"]) for line in updated["line_items"]] == [
        ("Machining", "500.00"),
        ("Hotel stay (Hilton, 2026-03-04)", "200.00"),  # net of the reclaimable tax
        ("Taxi (2026-03-04)", "30.00"),
    ]
    assert updated["total_amount"] == "730.00"
    fetched = (await caller.get(f"{PATH}/{hotel['id']}")).json()["data"]
    assert fetched["invoiced_invoice_id"] == invoice["id"]
    invoiced = await events_of(sessions, caller.tenant_id, "billing.expense.invoiced")
    assert sorted((e["expense_id"], e["invoice_id"]) for e in invoiced) == sorted(
        [(hotel["id"], invoice["id"]), (taxi["id"], invoice["id"])]
    )


async def test_an_expense_is_never_billed_twice(app, caller):
    customer = await a_customer(app, caller)
    first = await a_draft_invoice(caller, customer)
    second = await a_draft_invoice(caller, customer)
    hotel = await an_approved_billable_expense(caller, customer)
    body = {"expense_ids": [hotel["id"]]}
    assert (
        await caller.post(f"/v1/invoices/{first['id']}/billable-expenses", body)
    ).status_code == 200
    for invoice in (first, second):
        again = await caller.post(f"/v1/invoices/{invoice['id']}/billable-expenses", body)
        assert again.status_code == 409
        assert error_of(again)["code"] == "RESOURCE_CONFLICT"
        assert fields_named(again) == {"expense_ids[0]"}
    lines = (await caller.get(f"/v1/invoices/{second['id']}")).json()["data"]["line_items"]
    assert len(lines) == 1


async def test_concurrent_billing_of_one_expense_bills_it_once(app, caller):
    customer = await a_customer(app, caller)
    invoices = [await a_draft_invoice(caller, customer) for _ in range(2)]
    hotel = await an_approved_billable_expense(caller, customer)
    responses = await asyncio.gather(
        *(
            caller.post(
                f"/v1/invoices/{invoice['id']}/billable-expenses", {"expense_ids": [hotel["id"]]}
            )
            for invoice in invoices
        )
    )
    assert sorted(r.status_code for r in responses) == [200, 409]
    line_counts = [
        len((await caller.get(f"/v1/invoices/{i['id']}")).json()["data"]["line_items"])
        for i in invoices
    ]
    assert sorted(line_counts) == [1, 2]


async def test_only_approved_billable_expenses_of_the_invoices_customer_are_billed(app, caller):
    customer = await a_customer(app, caller)
    someone_else = await a_customer(app, caller)
    invoice = await a_draft_invoice(caller, customer)
    pending = await caller.created(
        PATH, {**OFFICE, "is_billable": True, "customer_id": str(customer)}
    )
    not_billable = await an_expense(caller)
    await caller.post(f"{PATH}/{not_billable['id']}/approve")
    theirs = await an_approved_billable_expense(caller, someone_else)
    in_euros = await an_approved_billable_expense(
        caller, customer, currency_code="EUR", exchange_rate="1.1"
    )
    fine = await an_approved_billable_expense(caller, customer)
    for refused, reason in (
        (pending, "only approved"),
        (not_billable, "not billable"),
        (theirs, "another customer"),
        (in_euros, "EUR"),
    ):
        response = await caller.post(
            f"/v1/invoices/{invoice['id']}/billable-expenses",
            {"expense_ids": [fine["id"], refused["id"]]},
        )
        assert response.status_code == 422, response.text
        assert error_of(response)["details"][0]["field"] == "expense_ids[1]"
        assert reason in error_of(response)["details"][0]["message"]
    # nothing partial: the good expense was not billed by the refused requests
    assert (await caller.get(f"{PATH}/{fine['id']}")).json()["data"]["invoiced_invoice_id"] is None
    lines = (await caller.get(f"/v1/invoices/{invoice['id']}")).json()["data"]["line_items"]
    assert len(lines) == 1


async def test_billing_needs_a_draft_invoice_and_own_ids(app, caller, other_tenant):
    customer = await a_customer(app, caller)
    invoice = await a_draft_invoice(caller, customer)
    hotel = await an_approved_billable_expense(caller, customer)
    theirs = await an_expense(other_tenant)

    unknown = await caller.post(
        f"/v1/invoices/{invoice['id']}/billable-expenses", {"expense_ids": [theirs["id"]]}
    )
    assert unknown.status_code == 404
    assert fields_named(unknown) == {"expense_ids[0]"}
    no_invoice = await caller.post(
        f"/v1/invoices/{uuid.uuid4()}/billable-expenses", {"expense_ids": [hotel["id"]]}
    )
    assert no_invoice.status_code == 404
    empty = await caller.post(
        f"/v1/invoices/{invoice['id']}/billable-expenses", {"expense_ids": []}
    )
    assert empty.status_code == 422

    sent = await caller.post(f"/v1/invoices/{invoice['id']}/send")
    assert sent.status_code == 200, sent.text
    too_late = await caller.post(
        f"/v1/invoices/{invoice['id']}/billable-expenses", {"expense_ids": [hotel["id"]]}
    )
    assert too_late.status_code == 409
    assert error_of(too_late)["code"] == "INVALID_TRANSITION"
    assert (await caller.get(f"{PATH}/{hotel['id']}")).json()["data"]["invoiced_invoice_id"] is None
