"""Credit notes by lines against real PostgreSQL: each names an invoice line and never
credits more of it than it has left, and a full credit takes exactly what is left."""

from __future__ import annotations

from decimal import Decimal

from millbook_testing.callers import error_of, fields_named

from .receivables import a_customer, a_sent_invoice, account_balances, entries_balance

D = Decimal


def line(description: str, quantity: str, unit_price: str, tax_rate: str = "0.10") -> dict:
    return {
        "description": description,
        "quantity": quantity,
        "unit_price": unit_price,
        "tax_rate": tax_rate,
    }


def messages(response) -> dict[str, str]:
    return {detail["field"]: detail["message"] for detail in error_of(response)["details"]}


async def test_a_free_priced_credit_line_is_refused_and_a_full_credit_still_works(app, caller):
    """The defect: a line at its own price and tax (60.00 at 50% on a 10% invoice) passed the
    total check, left -20.00 tax to credit, and the full credit after it was a 500."""
    customer = await a_customer(app, caller)
    sent = await a_sent_invoice(caller, customer, "100.00")  # 110.00 incl. 10.00 tax
    free = {"description": "Odd", "quantity": "1", "unit_price": "60", "tax_rate": "0.5"}
    refused = await caller.post(
        "/v1/credit-notes", {"invoice_id": sent["id"], "line_items": [free]}
    )
    assert refused.status_code == 422
    full = await caller.post("/v1/credit-notes", {"invoice_id": sent["id"], "full": True})
    assert full.status_code == 201, full.text
    assert (full.json()["data"]["subtotal"], full.json()["data"]["tax_amount"]) == (
        "100.00",
        "10.00",
    )


async def test_a_line_is_never_credited_beyond_what_it_has_left(app, caller, sessions):
    customer = await a_customer(app, caller)
    sent = await a_sent_invoice(
        caller,
        customer,
        line_items=[line("Flange", "3", "10.00"), line("Setup", "1", "100.00", "0")],
    )  # 33.00 + 100.00
    flange, setup = (item["id"] for item in sent["line_items"])
    first = await caller.created(
        "/v1/credit-notes",
        {"invoice_id": sent["id"], "line_items": [{"invoice_line_id": flange, "quantity": "2"}]},
    )
    assert (first["subtotal"], first["tax_amount"], first["total_amount"]) == (
        "20.00",
        "2.00",
        "22.00",
    )
    [credited] = first["line_items"]
    assert (credited["invoice_line_id"], credited["description"]) == (flange, "Flange")
    assert (credited["unit_price"], credited["tax_rate"], credited["quantity"]) == (
        "10.00",
        "0.1",
        "2",
    )
    # Within the invoice's total (111.00 left) but beyond the line: refused, naming the field.
    again = await caller.post(
        "/v1/credit-notes",
        {
            "invoice_id": sent["id"],
            "line_items": [
                {"invoice_line_id": setup, "quantity": "1"},
                {"invoice_line_id": flange, "quantity": "2"},
            ],
        },
    )
    assert again.status_code == 422
    assert error_of(again)["code"] == "VALIDATION_ERROR"
    assert messages(again) == {
        "line_items[1].quantity": "only 1 of this invoice line is left to credit, not 2"
    }
    rest = await caller.created(
        "/v1/credit-notes",
        {"invoice_id": sent["id"], "line_items": [{"invoice_line_id": flange}]},
    )  # no quantity: all that is left of the line
    assert (rest["line_items"][0]["quantity"], rest["total_amount"]) == ("1", "11.00")
    done = await caller.post(
        "/v1/credit-notes",
        {"invoice_id": sent["id"], "line_items": [{"invoice_line_id": flange, "quantity": "1"}]},
    )
    assert messages(done) == {
        "line_items[0].quantity": "this invoice line is fully credited already"
    }
    invoice = (await caller.get(f"/v1/invoices/{sent['id']}")).json()["data"]
    assert (invoice["credited_amount"], invoice["balance_amount"]) == ("33.00", "100.00")
    assert await entries_balance(sessions, caller.tenant_id) == 0


async def test_lines_of_another_invoice_or_listed_twice_are_refused(app, caller):
    customer = await a_customer(app, caller)
    sent = await a_sent_invoice(caller, customer, "100.00")
    other = await a_sent_invoice(caller, customer, "50.00")
    mine, theirs = sent["line_items"][0]["id"], other["line_items"][0]["id"]
    response = await caller.post(
        "/v1/credit-notes",
        {
            "invoice_id": sent["id"],
            "line_items": [
                {"invoice_line_id": theirs},
                {"invoice_line_id": mine, "quantity": "0.5"},
                {"invoice_line_id": mine, "quantity": "0.5"},
            ],
        },
    )
    assert response.status_code == 422
    assert fields_named(response) == {
        "line_items[0].invoice_line_id",
        "line_items[2].invoice_line_id",
    }
    assert (await caller.get("/v1/credit-notes", params={"invoice_id": sent["id"]})).json()["meta"][
        "total"
    ] == 0


async def test_a_full_credit_takes_exactly_what_is_left_of_each_line(app, caller, sessions):
    customer = await a_customer(app, caller)
    sent = await a_sent_invoice(
        caller,
        customer,
        line_items=[line("Pin", "3", "0.3333", "0.19"), line("Bush", "7", "1.4285", "0.07")],
    )  # Pin: 1.00 + 0.19; Bush: 10.00 + 0.70
    pin, bush = (item["id"] for item in sent["line_items"])
    for _ in range(2):  # the rounded thirds: 0.33 + 0.06, then 0.34 + 0.07
        await caller.created(
            "/v1/credit-notes",
            {"invoice_id": sent["id"], "line_items": [{"invoice_line_id": pin, "quantity": "1"}]},
        )
    await caller.created(
        "/v1/credit-notes",
        {"invoice_id": sent["id"], "line_items": [{"invoice_line_id": bush, "quantity": "3"}]},
    )  # 4.29 + 0.30
    full = await caller.created("/v1/credit-notes", {"invoice_id": sent["id"], "full": True})
    by_line = {
        item["invoice_line_id"]: (item["quantity"], item["subtotal"], item["tax_amount"])
        for item in full["line_items"]
    }
    assert by_line == {pin: ("1", "0.33", "0.06"), bush: ("4", "5.71", "0.40")}
    assert (full["subtotal"], full["tax_amount"], full["total_amount"]) == ("6.04", "0.46", "6.50")
    invoice = (await caller.get(f"/v1/invoices/{sent['id']}")).json()["data"]
    assert (invoice["status"], invoice["balance_amount"]) == ("paid", "0.00")
    assert await account_balances(sessions, caller.tenant_id) == {}  # no cent of tax or sales
    again = await caller.post("/v1/credit-notes", {"invoice_id": sent["id"], "full": True})
    assert again.status_code == 409
    assert error_of(again)["code"] == "RESOURCE_CONFLICT"
    assert "fully credited" in error_of(again)["message"]
    more = await caller.post(
        "/v1/credit-notes",
        {"invoice_id": sent["id"], "line_items": [{"invoice_line_id": bush, "quantity": "1"}]},
    )
    assert fields_named(more) == {"line_items[0].quantity"}


async def test_credits_by_amount_and_by_lines_never_leave_a_negative_net_or_tax(
    app, caller, sessions
):
    customer = await a_customer(app, caller)
    sent = await a_sent_invoice(
        caller,
        customer,
        line_items=[line("Taxed", "1", "100.00"), line("Untaxed", "1", "100.00", "0")],
    )  # 200.00 net + 10.00 tax
    taxed, untaxed = (item["id"] for item in sent["line_items"])
    by_amount = await caller.created(
        "/v1/credit-notes", {"invoice_id": sent["id"], "amount": "105.00"}
    )  # 100.00 net + 5.00 tax: 100.00 net and 5.00 tax left
    assert by_amount["tax_amount"] == "5.00"
    await caller.created(
        "/v1/credit-notes",
        {"invoice_id": sent["id"], "line_items": [{"invoice_line_id": untaxed}]},
    )  # 100.00 net: no net left, 5.00 tax left
    # 4.00 net + 0.40 tax is within the 5.00 left, but there is no net left to credit.
    beyond = await caller.post(
        "/v1/credit-notes",
        {"invoice_id": sent["id"], "line_items": [{"invoice_line_id": taxed, "quantity": "0.04"}]},
    )
    assert beyond.status_code == 422
    assert fields_named(beyond) == {"line_items"}
    full = await caller.created("/v1/credit-notes", {"invoice_id": sent["id"], "full": True})
    assert (full["subtotal"], full["tax_amount"], full["total_amount"]) == ("0.00", "5.00", "5.00")
    invoice = (await caller.get(f"/v1/invoices/{sent['id']}")).json()["data"]
    assert (invoice["status"], invoice["balance_amount"]) == ("paid", "0.00")
    assert await account_balances(sessions, caller.tenant_id) == {}
