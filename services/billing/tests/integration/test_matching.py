"""Three-way matching against purchasing's events, in any arrival order, and over Kafka."""

import asyncio
import contextlib
import uuid
from datetime import timedelta
from decimal import Decimal as D

import pytest

from millbook_billing.purchase_orders.consumer import PURCHASING, purchasing_consumer
from millbook_contracts.purchasing import PurchaseOrderCreated
from millbook_testing.callers import error_of
from millbook_testing.kafka import produce
from millbook_testing.waiting import eventually

from .conftest import events_of
from .purchasing_events import (
    T0,
    balances,
    bill_body,
    deliver,
    delivery,
    po_bill_line,
    po_line,
    purchase_order,
    supplier_created,
)

GRNI, INVENTORY = "2300", "1200"


async def match_of(caller, bill_id):
    bill = (await caller.get(f"/v1/bills/{bill_id}")).json()["data"]
    if bill["matching_id"] is None:
        return None
    response = await caller.get(f"/v1/matching/{bill['matching_id']}")
    assert response.status_code == 200, response.text
    return response.json()["data"]


def kinds(match):
    return [(v["kind"], v["po_line_number"], v["blocking"]) for v in match["variances"]]


async def pending_ids(caller):
    response = await caller.get("/v1/matching/pending")
    assert response.status_code == 200, response.text
    return {row["bill_id"] for row in response.json()["data"]}


async def test_a_bill_entered_before_its_po_and_goods_is_matched_as_they_arrive(
    app, caller, sessions
):
    supplier = supplier_created()
    await deliver(app, caller.tenant_id, supplier)
    po = purchase_order(supplier, [po_line(1, "100", "5.50"), po_line(2, "10", "20.00")])
    bill = await caller.created(
        "/v1/bills",
        bill_body(supplier, po, [po_bill_line(1, "100", "5.50"), po_bill_line(2, "10", "20.00")]),
    )
    assert bill["match_status"] == "pending"
    assert await pending_ids(caller) == {bill["id"]}

    await deliver(app, caller.tenant_id, po)
    match = await match_of(caller, bill["id"])
    assert match["result"] == "exception"
    assert kinds(match) == [("not_received", 1, True), ("not_received", 2, True)]

    await deliver(app, caller.tenant_id, delivery(po, [(1, "100", "100")]))
    match = await match_of(caller, bill["id"])
    assert kinds(match) == [("not_received", 2, True)]

    await deliver(app, caller.tenant_id, delivery(po, [(2, "12", "10")]))
    match = await match_of(caller, bill["id"])
    assert (match["result"], match["variances"]) == ("matched", [])
    assert match["lines"][1] == {
        "po_line_number": 2,
        "ordered_quantity": "10",
        "po_unit_price": "20.00",
        "received_quantity": "10",
        "previously_billed_quantity": "0",
        "billed_quantity": "10",
        "ordered_amount": "200.00",
        "received_amount": "200.00",
        "billed_amount": "200.00",
    }
    assert await pending_ids(caller) == set()
    published = await events_of(sessions, caller.tenant_id, "billing.matching.completed")
    assert [event["result"] for event in published] == ["exception", "exception", "matched"]


async def test_a_delivery_before_its_po_is_kept_and_counted(app, caller):
    supplier = supplier_created()
    await deliver(app, caller.tenant_id, supplier)
    po = purchase_order(supplier, [po_line(1, "100", "5.50")])
    await deliver(app, caller.tenant_id, delivery(po, [(1, "100", "95")]))
    # The receipt is posted at the PO price it carries, before the PO itself arrives.
    assert (await balances(caller))[INVENTORY] == D("522.50")

    await deliver(app, caller.tenant_id, po)
    bill = await caller.created(
        "/v1/bills", bill_body(supplier, po, [po_bill_line(1, "100", "5.50")])
    )
    match = await match_of(caller, bill["id"])
    (variance,) = match["variances"]
    assert (variance["kind"], variance["expected"], variance["actual"], variance["amount"]) == (
        "quantity_variance",
        "95",
        "100",
        "27.50",
    )


async def test_a_price_outside_tolerance_is_an_exception_until_matched_with_a_wider_one(
    app, caller, sessions
):
    supplier = supplier_created()
    await deliver(app, caller.tenant_id, supplier)
    po = purchase_order(supplier, [po_line(1, "100", "5.50")])
    await deliver(app, caller.tenant_id, po)
    await deliver(app, caller.tenant_id, delivery(po, [(1, "100", "100")]))
    bill = await caller.created(
        "/v1/bills", bill_body(supplier, po, [po_bill_line(1, "100", "5.75")])
    )
    match = await match_of(caller, bill["id"])
    assert match["result"] == "exception"
    assert match["variances"] == [
        {
            "kind": "price_variance",
            "po_line_number": 1,
            "bill_line_number": 1,
            "expected": "5.50",
            "actual": "5.75",
            "amount": "25.00",
            "variance_percent": "4.55",
            "blocking": True,
        }
    ]
    assert await pending_ids(caller) == {bill["id"]}

    rematched = await caller.post(
        "/v1/matching/match", {"bill_id": bill["id"], "tolerance_threshold": "0.05"}
    )
    assert rematched.status_code == 200, rematched.text
    data = rematched.json()["data"]
    assert (data["result"], data["tolerance_threshold"], data["id"]) == (
        "matched",
        "0.05",
        match["id"],
    )
    assert data["variances"][0]["blocking"] is False
    assert await pending_ids(caller) == set()

    # The tolerance asked for stays with the bill when a later delivery rematches it.
    await deliver(app, caller.tenant_id, delivery(po, [(1, "0", "0")]))
    assert (await match_of(caller, bill["id"]))["result"] == "matched"
    approved = await caller.post(f"/v1/bills/{bill['id']}/approve")
    assert approved.status_code == 200, approved.text
    events = await events_of(sessions, caller.tenant_id, "billing.matching.completed")
    assert events[-1]["result"] == "matched"
    assert D(events[-1]["price_tolerance"]) == D("0.05")


async def test_a_bill_line_not_on_the_po_is_named(app, caller):
    supplier = supplier_created()
    await deliver(app, caller.tenant_id, supplier)
    po = purchase_order(supplier, [po_line(1, "10", "5.50")])
    await deliver(app, caller.tenant_id, po)
    await deliver(app, caller.tenant_id, delivery(po, [(1, "10", "10")]))
    bill = await caller.created(
        "/v1/bills",
        bill_body(supplier, po, [po_bill_line(1, "10", "5.50"), po_bill_line(4, "2", "9.00")]),
    )
    match = await match_of(caller, bill["id"])
    assert kinds(match) == [("line_not_on_po", 4, True)]
    assert match["variances"][0]["amount"] == "18.00"


async def test_a_second_bill_is_matched_against_what_earlier_bills_left(app, caller):
    supplier = supplier_created()
    await deliver(app, caller.tenant_id, supplier)
    po = purchase_order(supplier, [po_line(1, "100", "5.50")])
    await deliver(app, caller.tenant_id, po)
    await deliver(app, caller.tenant_id, delivery(po, [(1, "60", "60")]))
    first = await caller.created(
        "/v1/bills", bill_body(supplier, po, [po_bill_line(1, "40", "5.50")], number="P-1")
    )
    second = await caller.created(
        "/v1/bills", bill_body(supplier, po, [po_bill_line(1, "30", "5.50")], number="P-2")
    )
    assert (await match_of(caller, second["id"]))["result"] == "matched"  # first is a draft

    await caller.post(f"/v1/bills/{first['id']}/approve")
    match = await match_of(caller, second["id"])
    assert match["result"] == "exception"
    assert match["lines"][0]["previously_billed_quantity"] == "40"
    assert kinds(match) == [("quantity_variance", 1, True)]
    assert (await match_of(caller, first["id"]))["result"] == "matched"

    await caller.post(f"/v1/bills/{first['id']}/void")
    assert (await match_of(caller, second["id"]))["result"] == "matched"


async def test_a_stale_or_redelivered_purchasing_event_changes_nothing(app, caller):
    supplier = supplier_created()
    await deliver(app, caller.tenant_id, supplier)
    po = purchase_order(supplier, [po_line(1, "100", "5.50")], at=T0 + timedelta(hours=2))
    await deliver(app, caller.tenant_id, po)
    stale = purchase_order(
        supplier,
        [po_line(1, "100", "4.00")],
        event=PurchaseOrderCreated,
        po_id=po.purchase_order_id,
        status="draft",
        at=T0,
    )
    assert await deliver(app, caller.tenant_id, stale) == "processed"
    receipt = delivery(po, [(1, "100", "100")])
    assert await deliver(app, caller.tenant_id, receipt) == "processed"
    consumer = purchasing_consumer(app.state.runtime.settings)(app.state.sessions)
    envelope = receipt.envelope(tenant_id=caller.tenant_id, source="/millbook/purchasing")
    # The same receipt again under another event id: stored once all the same.
    assert await consumer.apply(envelope, PURCHASING[receipt.event_type]) == "processed"
    assert await consumer.apply(envelope, PURCHASING[receipt.event_type]) == "duplicate"

    bill = await caller.created(
        "/v1/bills", bill_body(supplier, po, [po_bill_line(1, "100", "5.50")])
    )
    match = await match_of(caller, bill["id"])
    assert match["result"] == "matched"
    assert match["lines"][0]["received_quantity"] == "100"
    assert match["lines"][0]["po_unit_price"] == "5.50"
    assert (await balances(caller))[INVENTORY] == D("550.00")


async def test_another_tenants_match_is_not_found(app, caller, other_tenant):
    supplier = supplier_created()
    await deliver(app, caller.tenant_id, supplier)
    po = purchase_order(supplier, [po_line(1, "1", "5.50")])
    await deliver(app, caller.tenant_id, po)
    bill = await caller.created(
        "/v1/bills", bill_body(supplier, po, [po_bill_line(1, "1", "5.50")])
    )
    match = await match_of(caller, bill["id"])
    assert (await other_tenant.get(f"/v1/matching/{match['id']}")).status_code == 404
    refused = await other_tenant.post("/v1/matching/match", {"bill_id": bill["id"]})
    assert refused.status_code == 404
    assert error_of(refused)["code"] == "RESOURCE_NOT_FOUND"
    assert await pending_ids(other_tenant) == set()
    assert (await caller.as_scope("invoices:read").get("/v1/matching/pending")).status_code == 403


async def test_a_bill_without_po_has_nothing_to_match(app, caller):
    supplier = supplier_created()
    await deliver(app, caller.tenant_id, supplier)
    expense = {
        "description": "Rent",
        "quantity": "1",
        "unit_price": "900",
        "expense_category": "office",
    }
    bill = await caller.created("/v1/bills", bill_body(supplier, None, [expense]))
    assert bill["match_status"] is None
    response = await caller.post("/v1/matching/match", {"bill_id": bill["id"]})
    assert response.status_code == 422


async def test_a_foreign_currency_receipt_posts_at_the_first_bills_rate(app, caller):
    supplier = supplier_created("Euro Parts", currency="EUR")
    await deliver(app, caller.tenant_id, supplier)
    po = purchase_order(supplier, [po_line(1, "100", "5.50")], currency="EUR")
    await deliver(app, caller.tenant_id, po)
    await deliver(app, caller.tenant_id, delivery(po, [(1, "100", "100")]))
    assert (await balances(caller)).get(GRNI, D(0)) == D(0)  # no rate yet

    bill = await caller.created(
        "/v1/bills",
        bill_body(supplier, po, [po_bill_line(1, "100", "5.50")], exchange_rate="1.2"),
    )
    assert bill["currency_code"] == "EUR"
    approved = await caller.post(f"/v1/bills/{bill['id']}/approve")
    assert approved.status_code == 200, approved.text
    ledger = await balances(caller)
    assert (ledger[INVENTORY], ledger[GRNI], ledger["2000"]) == (D("660.00"), D(0), D("726.00"))


@pytest.mark.timeout(90)
async def test_purchasing_events_on_kafka_feed_the_match(app, caller):
    settings = app.state.runtime.settings
    consumer = purchasing_consumer(settings, name=f"test-{uuid.uuid4().hex[:8]}")(
        app.state.sessions
    )
    task = asyncio.create_task(consumer.run())
    supplier = supplier_created("Kafka Supplies")
    po = purchase_order(supplier, [po_line(1, "10", "3.00")])
    receipt = delivery(po, [(1, "10", "10")])
    try:
        for event in (supplier, receipt, po):  # the receipt overtakes its PO
            envelope = event.envelope(tenant_id=caller.tenant_id, source="/millbook/purchasing")
            await produce(
                app.state.runtime.settings.kafka_bootstrap_servers,
                event.topic(),
                envelope.data,
                key=envelope.subject.encode(),
                headers=envelope.to_headers(),
            )

        async def bill_entered():
            response = await caller.post(
                "/v1/bills", bill_body(supplier, po, [po_bill_line(1, "10", "3.00")])
            )
            return response.json()["data"] if response.status_code == 201 else None

        bill = await eventually(bill_entered, what="the supplier in billing's read model")

        async def result():
            match = await match_of(caller, bill["id"])
            return match["result"] if match else None

        await eventually(result, lambda got: got == "matched", what="a matched bill")
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def test_a_bill_whose_po_has_not_arrived_needs_an_override(app, caller):
    supplier = supplier_created()
    await deliver(app, caller.tenant_id, supplier)
    po = purchase_order(supplier, [po_line(1, "10", "5.50")])
    bill = await caller.created(
        "/v1/bills", bill_body(supplier, po, [po_bill_line(1, "10", "5.50")])
    )
    refused = await caller.post(f"/v1/bills/{bill['id']}/approve")
    assert refused.status_code == 409
    assert "pending" in error_of(refused)["message"]
    approved = await caller.post(
        f"/v1/bills/{bill['id']}/approve", {"override_reason": "PO is on paper"}
    )
    assert approved.status_code == 200, approved.text
    assert (await balances(caller))["2000"] == D("60.50")


async def test_receipts_racing_an_approval_leave_a_consistent_match(app, caller):
    supplier = supplier_created()
    await deliver(app, caller.tenant_id, supplier)
    po = purchase_order(supplier, [po_line(1, "100", "5.50")])
    await deliver(app, caller.tenant_id, po)
    await deliver(app, caller.tenant_id, delivery(po, [(1, "50", "50")]))
    bill = await caller.created(
        "/v1/bills", bill_body(supplier, po, [po_bill_line(1, "50", "5.50")])
    )
    second = await caller.created(
        "/v1/bills", bill_body(supplier, po, [po_bill_line(1, "50", "5.50")], number="X-2")
    )

    approved, outcome = await asyncio.gather(
        caller.post(f"/v1/bills/{bill['id']}/approve"),
        deliver(app, caller.tenant_id, delivery(po, [(1, "50", "50")])),
    )
    assert approved.status_code == 200, approved.text
    assert outcome == "processed"
    # Whatever the interleaving, the stored matches reflect both facts.
    first_match = await match_of(caller, bill["id"])
    second_match = await match_of(caller, second["id"])
    assert first_match["lines"][0]["received_quantity"] == "100"
    assert second_match["lines"][0]["previously_billed_quantity"] == "50"
    assert (first_match["result"], second_match["result"]) == ("matched", "matched")


async def test_tenant_default_tolerances_apply_unless_a_match_names_its_own(app, caller):
    supplier = supplier_created()
    await deliver(app, caller.tenant_id, supplier)
    po = purchase_order(supplier, [po_line(1, "100", "5.50")])
    await deliver(app, caller.tenant_id, po)
    await deliver(app, caller.tenant_id, delivery(po, [(1, "100", "100")]))
    defaults = (await caller.get("/v1/matching/settings")).json()["data"]
    assert defaults == {"tolerance_threshold": "0.02", "quantity_tolerance": "0"}

    on_defaults = await caller.created(
        "/v1/bills", bill_body(supplier, po, [po_bill_line(1, "100", "5.75")], number="T-1")
    )
    own = await caller.created(
        "/v1/bills", bill_body(supplier, po, [po_bill_line(1, "100", "5.75")], number="T-2")
    )
    await caller.post("/v1/matching/match", {"bill_id": own["id"], "tolerance_threshold": "0.01"})
    assert on_defaults["match_status"] == "exception"  # 4.5% over a 2% default

    changed = await caller.put(
        "/v1/matching/settings", {"tolerance_threshold": "0.05", "quantity_tolerance": "0.1"}
    )
    assert changed.status_code == 200, changed.text
    assert (await match_of(caller, on_defaults["id"]))["result"] == "matched"
    own_match = await match_of(caller, own["id"])
    assert (own_match["result"], own_match["tolerance_threshold"]) == ("exception", "0.01")

    bad = await caller.put("/v1/matching/settings", {"tolerance_threshold": "-1"})
    assert bad.status_code == 422
    reader = caller.as_scope("matching:read")
    assert (
        await reader.put("/v1/matching/settings", {"tolerance_threshold": "0.1"})
    ).status_code == 403
    assert (await reader.get("/v1/matching/settings")).status_code == 200
