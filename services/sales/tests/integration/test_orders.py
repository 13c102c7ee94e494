"""Orders from accepted quotations, their status machine and the events billing needs."""

from datetime import UTC, datetime

from millbook_testing.callers import error_of

from .conftest import events_of

YEAR = datetime.now(UTC).year
LINES = [{"product_name": "Bracket", "quantity": 10, "unit_price": "12.345", "tax_rate": "0.1"}]


async def accepted_quotation(caller, accept: bool = True) -> dict:
    customer = await caller.created(
        "/v1/customers", {"name": "Acme", "primary_email": "ap@acme.io"}
    )
    q = await caller.created("/v1/quotations", {"customer_id": customer["id"], "line_items": LINES})
    await caller.post(f"/v1/quotations/{q['id']}/send")
    if accept:
        await caller.post(f"/v1/quotations/{q['id']}/accept")
    return q


async def test_an_order_copies_the_accepted_quotation_and_runs_to_completion(caller, sessions):
    q = await accepted_quotation(caller)
    order = await caller.created(
        "/v1/orders",
        {"quotation_id": q["id"], "order_date": f"{YEAR}-01-20", "required_date": f"{YEAR}-02-10"},
    )
    assert (order["order_number"], order["status"]) == (f"ORD-{YEAR}-0001", "confirmed")
    assert (order["total_amount"], order["line_items"][0]["total_amount"]) == ("135.80", "135.80")
    for action, status in (
        ("start-production", "in_production"),
        ("ship", "shipped"),
        ("complete", "completed"),
    ):
        response = await caller.post(f"/v1/orders/{order['id']}/{action}")
        assert response.status_code == 200, response.text
        assert response.json()["data"]["status"] == status
    created = (await events_of(sessions, caller.tenant_id, "sales.order.created"))[0]
    completed = (await events_of(sessions, caller.tenant_id, "sales.order.completed"))[0]
    for event in (created, completed):
        assert event["totals"] == {
            "currency_code": "USD",
            "subtotal": "123.45",
            "discount_amount": "0.00",
            "tax_amount": "12.35",
            "total_amount": "135.80",
        }
        assert event["lines"][0]["unit_price"] == "12.345"
        assert event["billing_email"] == "ap@acme.io"
        assert event["quote_number"] == f"QUO-{YEAR}-0001"


async def test_only_an_accepted_quotation_becomes_one_order(caller):
    sent = await accepted_quotation(caller, accept=False)
    refused = await caller.post("/v1/orders", {"quotation_id": sent["id"]})
    assert refused.status_code == 409
    assert error_of(refused)["code"] == "INVALID_TRANSITION"
    q = await accepted_quotation(caller)
    await caller.created("/v1/orders", {"quotation_id": q["id"]})
    again = await caller.post("/v1/orders", {"quotation_id": q["id"]})
    assert error_of(again)["code"] == "RESOURCE_CONFLICT"


async def test_cancel_is_refused_after_shipping_and_open_orders_block_deletion(caller, sessions):
    q = await accepted_quotation(caller)
    order = await caller.created("/v1/orders", {"quotation_id": q["id"]})
    blocked = await caller.delete(f"/v1/customers/{order['customer_id']}")
    assert blocked.status_code == 409
    early = await caller.post(f"/v1/orders/{order['id']}/ship")
    assert error_of(early)["code"] == "INVALID_TRANSITION"
    await caller.post(f"/v1/orders/{order['id']}/start-production")
    await caller.post(f"/v1/orders/{order['id']}/ship")
    late = await caller.post(f"/v1/orders/{order['id']}/cancel", {"reason": "changed mind"})
    assert late.status_code == 409
    assert error_of(late)["code"] == "INVALID_TRANSITION"

    other = await caller.created(
        "/v1/orders", {"quotation_id": (await accepted_quotation(caller))["id"]}
    )
    cancelled = await caller.post(f"/v1/orders/{other['id']}/cancel", {"reason": "changed mind"})
    assert cancelled.json()["data"]["cancellation_reason"] == "changed mind"
    events = await events_of(sessions, caller.tenant_id, "sales.order.cancelled")
    assert events[0]["reason"] == "changed mind"


async def test_an_order_of_another_tenant_is_not_found(caller, other_tenant):
    q = await accepted_quotation(caller)
    order = await caller.created("/v1/orders", {"quotation_id": q["id"]})
    assert (await other_tenant.get(f"/v1/orders/{order['id']}")).status_code == 404
    assert (await other_tenant.post("/v1/orders", {"quotation_id": q["id"]})).status_code == 404
