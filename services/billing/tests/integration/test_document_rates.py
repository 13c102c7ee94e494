"""Foreign-currency documents take the tenant's exchange rate effective on their own date
when none is given: invoices at send, receipts, supplier payments, bills, recurring invoices
and expenses; without any rate the 422 names exchange_rate and says how to set one."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from millbook_billing.recurring.generator import generate_due_invoices
from millbook_testing.callers import error_of, fields_named

from .conftest import events_of
from .purchasing_events import bill_body, supplier_created
from .purchasing_events import deliver as deliver_purchasing
from .receivables import a_customer, a_draft, a_sent_invoice, account_balances, lines

D = Decimal
RATES = "/v1/billing/exchange-rates"
CASH, AR, AP, REVENUE, FX = "1000", "1100", "2000", "4000", "5200"


async def set_rate(caller, currency: str, day: str, rate: str) -> None:
    response = await caller.put(f"{RATES}/{currency}/{day}", {"rate": rate})
    assert response.status_code == 200, response.text


def hint(day: str, currency: str = "EUR") -> str:
    return (
        f"give exchange_rate, or set a rate for {currency} on or before {day}"
        f" with PUT {RATES}/{currency}/{day}"
    )


def the_missing_rate(response) -> str:
    """The 422's one detail: on exchange_rate, with the sentence saying what to do."""
    assert response.status_code == 422, response.text
    assert error_of(response)["code"] == "VALIDATION_ERROR"
    (detail,) = error_of(response)["details"]
    assert detail["field"] == "exchange_rate"
    message: str = detail["message"]
    return message


async def test_an_invoice_drafted_without_a_rate_is_sent_at_the_tenants_rate_on_its_date(
    app, caller, sessions
):
    await set_rate(caller, "EUR", "2026-03-01", "1.20")
    await set_rate(caller, "EUR", "2026-03-11", "1.50")  # after the invoice date: not its rate
    customer = await a_customer(app, caller, currency_code="EUR")
    draft = await a_draft(caller, customer, "100.00", invoice_date="2026-03-10")
    assert draft["exchange_rate"] is None  # left to the issue, though a rate exists
    fetched = (await caller.get(f"/v1/invoices/{draft['id']}")).json()["data"]
    assert fetched["exchange_rate"] is None

    sent = await caller.post(f"/v1/invoices/{draft['id']}/send")
    assert sent.status_code == 200, sent.text
    data = sent.json()["data"]
    assert (data["currency_code"], data["exchange_rate"], data["total_amount"]) == (
        "EUR",
        "1.2",
        "110.00",
    )
    balances = await account_balances(sessions, caller.tenant_id)
    assert (balances[AR], balances[REVENUE]) == (D("132.00"), D("-120.00"))  # 110 and 100 x 1.2
    [event] = await events_of(sessions, caller.tenant_id, "billing.invoice.sent")
    assert D(event["exchange_rate"]) == D("1.2")


async def test_a_rate_given_on_the_draft_is_kept_over_the_tenants(app, caller, sessions):
    await set_rate(caller, "EUR", "2026-03-01", "1.20")
    customer = await a_customer(app, caller, currency_code="EUR")
    draft = await a_draft(
        caller, customer, "100.00", invoice_date="2026-03-10", exchange_rate="1.25"
    )
    assert draft["exchange_rate"] == "1.25"
    sent = (await caller.post(f"/v1/invoices/{draft['id']}/send")).json()["data"]
    assert sent["exchange_rate"] == "1.25"
    assert (await account_balances(sessions, caller.tenant_id))[AR] == D("137.50")


async def test_sending_with_no_rate_anywhere_is_a_422_whose_hint_fixes_it(app, caller, sessions):
    customer = await a_customer(app, caller, currency_code="EUR")
    draft = await a_draft(caller, customer, "100.00", invoice_date="2026-03-10")
    assert draft["exchange_rate"] is None  # a draft needs no rate yet

    refused = await caller.post(f"/v1/invoices/{draft['id']}/send")
    assert the_missing_rate(refused) == hint("2026-03-10")
    still = (await caller.get(f"/v1/invoices/{draft['id']}")).json()["data"]
    assert (still["status"], still["invoice_number"], still["exchange_rate"]) == (
        "draft",
        None,
        None,
    )
    assert await account_balances(sessions, caller.tenant_id) == {}

    await set_rate(caller, "EUR", "2026-03-10", "1.1")  # what the hint says to do
    sent = await caller.post(f"/v1/invoices/{draft['id']}/send")
    assert sent.status_code == 200, sent.text
    assert sent.json()["data"]["exchange_rate"] == "1.1"


async def test_a_rate_effective_after_the_invoice_date_is_not_used(app, caller):
    await set_rate(caller, "EUR", "2026-03-11", "1.20")
    customer = await a_customer(app, caller, currency_code="EUR")
    draft = await a_draft(caller, customer, "100.00", invoice_date="2026-03-10")
    refused = await caller.post(f"/v1/invoices/{draft['id']}/send")
    assert the_missing_rate(refused) == hint("2026-03-10")


async def test_a_base_currency_document_with_another_rate_is_still_refused(app, caller):
    await set_rate(caller, "EUR", "2026-03-01", "1.20")
    customer = await a_customer(app, caller)
    body = {"customer_id": str(customer), "line_items": lines("1.00"), "exchange_rate": "1.2"}
    refused = await caller.post("/v1/invoices", body)
    assert refused.status_code == 422
    assert fields_named(refused) == {"exchange_rate"}


def receipt(customer, amount: str, invoice_id: str, day: str, **extra) -> dict:
    return {
        "payment_type": "receipt",
        "customer_id": str(customer),
        "amount": amount,
        "payment_date": day,
        "allocations": [{"invoice_id": invoice_id, "amount": amount}],
        **extra,
    }


async def test_a_receipt_without_a_rate_takes_the_tenants_on_its_payment_date(
    app, caller, sessions
):
    customer = await a_customer(app, caller, currency_code="EUR")
    sent = await a_sent_invoice(caller, customer, "100.00", exchange_rate="1.20")  # AR 132.00
    too_early = await caller.post(
        "/v1/payments", receipt(customer, "110.00", sent["id"], "2026-04-30")
    )
    await set_rate(caller, "EUR", "2026-05-01", "1.25")
    assert the_missing_rate(too_early) == hint("2026-04-30")

    payment = await caller.created(
        "/v1/payments", receipt(customer, "110.00", sent["id"], "2026-05-01")
    )
    assert (payment["currency_code"], payment["exchange_rate"]) == ("EUR", "1.25")
    balances = await account_balances(sessions, caller.tenant_id)
    assert balances[CASH] == D("137.50")  # 110 EUR x 1.25
    assert AR not in balances
    assert balances[FX] == D("-5.50")  # a gain: the euro rose


async def euro_supplier(app, caller):
    supplier = supplier_created("Euro Freight", currency="EUR")
    await deliver_purchasing(app, caller.tenant_id, supplier)
    return supplier


def freight(amount: str = "45.00") -> dict:
    return {
        "description": "Freight",
        "quantity": "1",
        "unit_price": amount,
        "tax_rate": "0",
        "expense_category": "travel",
    }


async def test_a_bill_without_a_rate_takes_the_tenants_on_its_bill_date(app, caller, sessions):
    supplier = await euro_supplier(app, caller)
    early = await caller.post("/v1/bills", bill_body(supplier, None, [freight()]))
    assert the_missing_rate(early) == hint("2026-03-12")  # the bill's own date

    await set_rate(caller, "EUR", "2026-03-01", "1.10")
    await set_rate(caller, "EUR", "2026-03-13", "1.50")  # the day after the bill: not its rate
    bill = await caller.created("/v1/bills", bill_body(supplier, None, [freight()]))
    assert (bill["currency_code"], bill["exchange_rate"]) == ("EUR", "1.1")
    approved = await caller.post(f"/v1/bills/{bill['id']}/approve", {"override_reason": "test"})
    assert approved.status_code == 200, approved.text
    assert approved.json()["data"]["exchange_rate"] == "1.1"
    assert (await account_balances(sessions, caller.tenant_id))[AP] == D("-49.50")  # 45 x 1.1


async def test_a_supplier_payment_without_a_rate_takes_the_tenants_on_its_date(
    app, caller, sessions
):
    supplier = await euro_supplier(app, caller)
    bill = await caller.created(
        "/v1/bills", bill_body(supplier, None, [freight()], exchange_rate="1.10")
    )
    approved = await caller.post(f"/v1/bills/{bill['id']}/approve", {"override_reason": "test"})
    assert approved.status_code == 200, approved.text
    body = {
        "payment_type": "payment",
        "supplier_id": str(supplier.supplier_id),
        "amount": "45.00",
        "payment_date": "2026-04-03",
        "allocations": [{"bill_id": bill["id"], "amount": "45.00"}],
    }
    assert the_missing_rate(await caller.post("/v1/payments", body)) == hint("2026-04-03")

    await set_rate(caller, "EUR", "2026-04-01", "1.20")
    payment = await caller.created("/v1/payments", body)
    assert (payment["currency_code"], payment["exchange_rate"]) == ("EUR", "1.2")
    balances = await account_balances(sessions, caller.tenant_id)
    assert balances[CASH] == D("-54.00")  # 45 EUR x 1.2
    assert AP not in balances
    assert balances[FX] == D("4.50")  # a loss: booked at 1.10, paid at 1.20


async def test_recurring_invoices_issued_without_a_rate_take_the_rate_of_each_period(
    app, caller, sessions
):
    await set_rate(caller, "EUR", "2026-06-01", "1.20")
    await set_rate(caller, "EUR", "2026-06-05", "1.30")
    customer = await a_customer(app, caller, currency_code="EUR")
    body = {
        "customer_id": str(customer),
        "line_items": lines("100.00"),
        "interval": "weekly",
        "start_date": "2026-06-01",
        "end_date": "2026-06-10",
        "mode": "issued",
    }
    created = await caller.created("/v1/recurring-invoices", body)
    assert created["exchange_rate"] is None
    await generate_due_invoices(sessions, today=date(2026, 7, 1))
    rows = (await caller.get("/v1/invoices", params={"sort": "invoice_date"})).json()["data"]
    made = [row for row in rows if row["recurring_invoice_id"] == created["id"]]
    assert [(r["invoice_date"], r["status"], r["exchange_rate"]) for r in made] == [
        ("2026-06-01", "overdue", "1.2"),  # issued, and read after their due dates
        ("2026-06-08", "overdue", "1.3"),
    ]
    assert (await account_balances(sessions, caller.tenant_id))[AR] == D("275.00")  # 132 + 143


async def test_a_recurring_invoice_with_no_rate_to_take_stays_a_draft(app, caller, sessions):
    customer = await a_customer(app, caller, currency_code="EUR")
    body = {
        "customer_id": str(customer),
        "line_items": lines("100.00"),
        "interval": "monthly",
        "start_date": "2026-06-01",
        "mode": "issued",
    }
    created = await caller.created("/v1/recurring-invoices", body)
    await generate_due_invoices(sessions, today=date(2026, 6, 2))
    rows = (await caller.get("/v1/invoices")).json()["data"]
    made = [row for row in rows if row["recurring_invoice_id"] == created["id"]]
    assert [(r["status"], r["exchange_rate"]) for r in made] == [("draft", None)]
    assert await account_balances(sessions, caller.tenant_id) == {}


async def test_an_expense_without_a_rate_is_approved_at_the_tenants_on_its_date(caller):
    expense = await caller.created(
        "/v1/expenses",
        {
            "description": "Train ticket",
            "amount": "100.00",
            "tax_amount": "0",
            "category": "travel",
            "expense_date": "2026-03-04",
            "currency_code": "EUR",
        },
    )
    refused = await caller.post(f"/v1/expenses/{expense['id']}/approve")
    assert the_missing_rate(refused) == hint("2026-03-04")
    await set_rate(caller, "EUR", "2026-03-01", "1.10")
    approved = await caller.post(f"/v1/expenses/{expense['id']}/approve")
    assert approved.status_code == 200, approved.text
    assert approved.json()["data"]["exchange_rate"] == "1.1"  # the rate it was fixed at


async def test_a_schedules_rate_follows_the_same_rule_when_patched(app, caller):
    usd = await a_customer(app, caller)
    body = {"line_items": lines("1.00"), "interval": "monthly", "start_date": "2026-06-01"}
    own = await caller.created("/v1/recurring-invoices", {**body, "customer_id": str(usd)})
    refused = await caller.patch(f"/v1/recurring-invoices/{own['id']}", {"exchange_rate": "1.2"})
    assert refused.status_code == 422
    assert fields_named(refused) == {"exchange_rate"}

    eur = await a_customer(app, caller, currency_code="EUR")
    given = {**body, "customer_id": str(eur), "exchange_rate": "1.2"}
    foreign = await caller.created("/v1/recurring-invoices", given)
    assert foreign["exchange_rate"] == "1.2"
    path = f"/v1/recurring-invoices/{foreign['id']}"
    patched = await caller.patch(path, {"exchange_rate": None})  # back to the tenant's rates
    assert patched.status_code == 200, patched.text
    assert patched.json()["data"]["exchange_rate"] is None
