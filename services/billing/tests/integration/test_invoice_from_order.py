"""Invoice from order and the customers read model: sales' events in, exactly once."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from millbook_billing.customers.consumer import CUSTOMERS
from millbook_billing.invoices.from_order import ORDERS, orders_consumer
from millbook_contracts.sales import (
    Address,
    CustomerDeleted,
    CustomerUpdated,
    DocumentLine,
    DocumentTotals,
    OrderCompleted,
)

from .conftest import events_of
from .receivables import a_customer, account_balances, customer_created, deliver, lines

D = Decimal


def order_completed(customer_id: uuid.UUID, currency: str = "USD") -> OrderCompleted:
    line = DocumentLine(
        line_number=1,
        product_name="Bracket",
        description="6061 aluminium, anodised",
        quantity=D("10"),
        unit_price=D("12.5"),
        discount_percent=D("0"),
        tax_rate=D("0.10"),
        subtotal=D("125.00"),
        discount_amount=D("0.00"),
        tax_amount=D("12.50"),
        total_amount=D("137.50"),
    )
    return OrderCompleted(
        order_id=uuid.uuid4(),
        order_number="ORD-2026-0007",
        quotation_id=uuid.uuid4(),
        quote_number="QUO-2026-0003",
        customer_id=customer_id,
        status="completed",
        occurred_at=datetime(2026, 6, 1, 9, 0, tzinfo=UTC),
        customer_name="Acme Machining",
        customer_code="CUST-0001",
        billing_email="ap@acme.example",
        billing_address=Address(line1="1 Mill Road", city="Sheffield", country="GB"),
        payment_terms="Net 15",
        order_date=date(2026, 5, 20),
        totals=DocumentTotals(
            currency_code=currency,
            subtotal=D("125.00"),
            discount_amount=D("0.00"),
            tax_amount=D("12.50"),
            total_amount=D("137.50"),
        ),
        lines=[line],
    )


async def deliver_order(app, event: OrderCompleted, tenant_id, envelope=None) -> str:
    consumer = orders_consumer(app.state.runtime.settings)(app.state.sessions)
    envelope = envelope or event.envelope(tenant_id=tenant_id, source="/millbook/sales")
    return await consumer.apply(envelope, ORDERS[event.event_type])


async def order_invoices(caller) -> list[dict]:
    rows = (await caller.get("/v1/invoices")).json()["data"]
    return [row for row in rows if row["origin"] == "order"]


async def test_a_completed_order_becomes_one_draft_invoice_whatever_the_redelivery(
    app, caller, sessions
):
    customer = await a_customer(app, caller)
    event = order_completed(customer)
    envelope = event.envelope(tenant_id=caller.tenant_id, source="/millbook/sales")
    assert await deliver_order(app, event, caller.tenant_id, envelope) == "processed"
    assert await deliver_order(app, event, caller.tenant_id, envelope) == "duplicate"
    assert await deliver_order(app, event, caller.tenant_id) == "processed"  # a new event id
    [invoice] = await order_invoices(caller)
    assert invoice["status"] == "draft"
    assert (invoice["order_id"], invoice["quotation_id"]) == (
        str(event.order_id),
        str(event.quotation_id),
    )
    assert (invoice["invoice_date"], invoice["due_date"]) == ("2026-06-01", "2026-06-16")
    assert invoice["total_amount"] == "137.50"
    assert invoice["line_items"][0]["description"] == "Bracket: 6061 aluminium, anodised"
    assert invoice["line_items"][0]["unit_price"] == "12.50"
    created = await events_of(sessions, caller.tenant_id, "billing.invoice.created")
    assert [e["origin"] for e in created] == ["order"]


async def test_the_issued_setting_sends_and_posts_the_order_invoice(app, caller, sessions):
    customer = await a_customer(app, caller)
    await caller.put("/v1/billing/settings", {"invoice_from_order": "issued"})
    await deliver_order(app, order_completed(customer), caller.tenant_id)
    [invoice] = await order_invoices(caller)
    assert invoice["status"] == "overdue"  # issued; due 2026-06-16, read after that day
    assert invoice["invoice_number"].endswith("-0001")
    assert (await account_balances(sessions, caller.tenant_id))["1100"] == D("137.50")
    # A foreign-currency order has no rate yet: its invoice waits as a draft.
    await deliver_order(app, order_completed(customer, currency="EUR"), caller.tenant_id)
    statuses = sorted(row["status"] for row in await order_invoices(caller))
    assert statuses == ["draft", "overdue"]


async def test_an_order_of_another_tenant_never_shows_here(app, caller, other_tenant):
    customer = await a_customer(app, other_tenant)
    await deliver_order(app, order_completed(customer), other_tenant.tenant_id)
    assert await order_invoices(caller) == []
    assert len(await order_invoices(other_tenant)) == 1


async def test_customers_read_model_follows_sales_and_ignores_stale_events(app, caller):
    created = customer_created()
    assert await deliver(app, created, caller.tenant_id) == "processed"
    later = datetime.now(UTC) + timedelta(minutes=5)
    update = CustomerUpdated(
        **{**created.model_dump(), "name": "Acme Precision", "occurred_at": later},
        changed=["name"],
    )
    stale = CustomerUpdated(
        **{**created.model_dump(), "name": "Old Name", "occurred_at": created.occurred_at},
        changed=["name"],
    )
    await deliver(app, update, caller.tenant_id, CUSTOMERS)
    await deliver(app, stale, caller.tenant_id, CUSTOMERS)
    body = {"customer_id": str(created.customer_id), "line_items": lines("1.00")}
    invoice = await caller.created("/v1/invoices", body)
    assert invoice["customer"]["name"] == "Acme Precision"
    deleted = CustomerDeleted(
        customer_id=created.customer_id,
        customer_code=created.customer_code,
        deleted_at=later + timedelta(minutes=1),
    )
    await deliver(app, deleted, caller.tenant_id, CUSTOMERS)
    assert (await caller.post("/v1/invoices", body)).status_code == 404
    # The draft made before the deletion keeps its customer.
    assert (await caller.get(f"/v1/invoices/{invoice['id']}")).status_code == 200
