"""A reference to a customer or supplier billing has not seen yet waits for the projection.

The client created it a moment ago in sales or purchasing; billing's consumer has not
applied the event yet. The request waits (bounded, `read_models.WAIT_S`), woken by
the projection's NOTIFY the moment the row commits; one that never arrives is a 404
naming the field after the bound, never before.
"""

from __future__ import annotations

import asyncio
import uuid

import pytest

from millbook_billing.customers.repository import await_customer
from millbook_platform import read_models
from millbook_platform.db import unit_of_work
from millbook_testing.callers import error_of

from .purchasing_events import bill_body, po_bill_line, po_line, purchase_order, supplier_created
from .purchasing_events import deliver as deliver_purchasing
from .receivables import customer_created, deliver, lines

WAIT_S = read_models.WAIT_S


@pytest.fixture
def notify_only(monkeypatch):
    """No timer re-probe inside the bound: only the projection's NOTIFY can wake a waiter."""
    monkeypatch.setattr(read_models, "REPROBE_S", 60.0)


async def _later(seconds: float, action):
    await asyncio.sleep(seconds)  # the event lands while the request already waits
    loop = asyncio.get_running_loop()
    await action()
    return loop.time()


async def test_an_invoice_for_a_customer_whose_event_lands_during_the_wait_is_created(
    app, caller, notify_only
):
    event = customer_created()
    body = {"customer_id": str(event.customer_id), "line_items": lines("100.00")}
    loop = asyncio.get_running_loop()

    async def customer_lands():
        assert await deliver(app, event, caller.tenant_id) == "processed"

    response, landed_at = await asyncio.gather(
        caller.post("/v1/invoices", body), _later(0.4, customer_lands)
    )
    answered_at = loop.time()
    assert response.status_code == 201, response.text
    invoice = response.json()["data"]
    assert invoice["customer"]["name"] == "Acme Machining"
    assert invoice["payment_terms"] == "Net 30"  # the customer's, read after it landed
    # Woken by the row's commit, not by the end of the bound.
    assert answered_at - landed_at < 0.3


async def test_an_invoice_for_a_customer_that_never_arrives_is_404_after_the_bound(app, caller):
    body = {"customer_id": str(uuid.uuid4()), "line_items": lines("100.00")}
    loop = asyncio.get_running_loop()
    started = loop.time()
    response = await caller.post("/v1/invoices", body)
    waited = loop.time() - started
    assert response.status_code == 404, response.text
    error = error_of(response)
    assert error["code"] == "RESOURCE_NOT_FOUND"
    assert error["details"] == [{"field": "customer_id", "message": "no such customer"}]
    assert WAIT_S <= waited < WAIT_S + 1.0


async def test_a_customer_already_there_costs_no_wait(app, caller):
    event = customer_created()
    assert await deliver(app, event, caller.tenant_id) == "processed"
    body = {"customer_id": str(event.customer_id), "line_items": lines("100.00")}
    loop = asyncio.get_running_loop()
    started = loop.time()
    response = await caller.post("/v1/invoices", body)
    assert response.status_code == 201, response.text
    assert loop.time() - started < 0.5


async def test_another_tenants_customer_is_not_found_like_an_unknown_one(app, caller, other_tenant):
    event = customer_created()
    assert await deliver(app, event, other_tenant.tenant_id) == "processed"
    body = {"customer_id": str(event.customer_id), "line_items": lines("100.00")}
    response = await caller.post("/v1/invoices", body)
    assert response.status_code == 404, response.text
    assert error_of(response)["details"] == [
        {"field": "customer_id", "message": "no such customer"}
    ]
    assert "Acme" not in response.text


async def test_a_bill_for_a_supplier_whose_event_lands_during_the_wait_is_created(
    app, caller, notify_only
):
    supplier = supplier_created()
    body = bill_body(
        supplier,
        None,
        [{"description": "Bar", "quantity": "1", "unit_price": "5", "expense_category": "travel"}],
    )

    async def supplier_lands():
        assert await deliver_purchasing(app, caller.tenant_id, supplier) == "processed"

    loop = asyncio.get_running_loop()
    response, landed_at = await asyncio.gather(
        caller.post("/v1/bills", body), _later(0.4, supplier_lands)
    )
    assert response.status_code == 201, response.text
    assert response.json()["data"]["supplier_name"] == supplier.name
    assert loop.time() - landed_at < 0.3


async def test_a_bill_against_a_purchase_order_landing_during_the_wait_takes_its_currency(
    app, caller, notify_only
):
    # The supplier usually bills in GBP; this PO is in USD, so the bill's currency tells
    # whether the PO was read.
    supplier = supplier_created(currency="GBP")
    assert await deliver_purchasing(app, caller.tenant_id, supplier) == "processed"
    po = purchase_order(supplier, [po_line(1, "2", "5.00")], currency="USD")
    body = bill_body(supplier, po, [po_bill_line(1, "2", "5.00")])

    async def order_lands():
        assert await deliver_purchasing(app, caller.tenant_id, po) == "processed"

    response, _ = await asyncio.gather(caller.post("/v1/bills", body), _later(0.4, order_lands))
    assert response.status_code == 201, response.text
    assert response.json()["data"]["currency_code"] == "USD"


async def test_the_wait_wakes_on_the_rows_commit_and_gives_up_after_its_bound(
    app, caller, sessions, notify_only
):
    """The platform's mechanism on billing's customers table, against real PostgreSQL."""
    arriving, missing = customer_created(), customer_created()
    loop = asyncio.get_running_loop()

    async def probe(customer_id):
        async with unit_of_work(sessions, caller.tenant_id) as session:
            started = loop.time()
            found = await await_customer(session, caller.tenant_id, customer_id)
            return found, started, loop.time()

    async def arrives():
        assert await deliver(app, arriving, caller.tenant_id) == "processed"

    (
        (found, waited_from, found_at),
        landed_at,
        (nothing, started, gave_up_at),
    ) = await asyncio.gather(
        probe(arriving.customer_id), _later(0.7, arrives), probe(missing.customer_id)
    )
    assert found is not None
    assert found.name == arriving.name
    # The wait wakes on the commit's NOTIFY, which may come a moment before the delivery
    # returns and `landed_at` is taken: found only once it arrived, at most 0.3 s after.
    assert found_at - waited_from >= 0.5
    assert found_at - landed_at < 0.3
    assert nothing is None
    assert WAIT_S <= gave_up_at - started < WAIT_S + 0.5
