"""A sale through the gateway: customer, quotation, order, and the events billing reads."""

import pytest

from millbook_contracts.envelope import Envelope
from millbook_contracts.sales import OrderCompleted
from millbook_stack import api
from millbook_testing.kafka import read_until

from .test_event_contracts import strictly_valid
from .test_walking_skeleton import new_user

pytestmark = pytest.mark.e2e

LINES = [
    {"product_name": "Bracket", "quantity": 10, "unit_price": "12.345", "tax_rate": "0.10"},
    {"product_name": "Setup", "quantity": 1, "unit_price": "80.00", "discount_percent": "10"},
]


async def created(gateway, admin, path: str, body: dict | None = None) -> dict:
    response = await gateway.post(path, json=body, headers=admin.headers)
    assert response.status_code in (200, 201), response.text
    return response.json()["data"]


async def test_quotation_to_completed_order_publishes_what_billing_needs(stack, gateway, admin):
    customer = await created(
        gateway,
        admin,
        "/v1/customers",
        {"name": "Acme Tooling", "primary_email": "ap@acme.example.com"},
    )
    assert customer["customer_code"].startswith("CUST-")
    quotation = await created(
        gateway, admin, "/v1/quotations", {"customer_id": customer["id"], "line_items": LINES}
    )
    assert quotation["total_amount"] == "207.80"  # 123.45 + 12.35 tax + 72.00
    await created(gateway, admin, f"/v1/quotations/{quotation['id']}/send")
    await created(gateway, admin, f"/v1/quotations/{quotation['id']}/accept")
    order = await created(gateway, admin, "/v1/orders", {"quotation_id": quotation["id"]})
    for step in ("start-production", "ship", "complete"):
        order = await created(gateway, admin, f"/v1/orders/{order['id']}/{step}")
    assert order["status"] == "completed"

    records = await read_until(
        api.kafka_bootstrap(stack.profile),
        OrderCompleted.topic(),
        lambda rs: any(
            r.key == order["id"].encode() and dict(r.headers)["ce_type"] == b"sales.order.completed"
            for r in rs
        ),
    )
    record = next(
        r
        for r in records
        if r.key == order["id"].encode() and dict(r.headers)["ce_type"] == b"sales.order.completed"
    )
    envelope = Envelope.from_kafka(record.headers, record.value)
    strictly_valid(envelope)
    completed = OrderCompleted.model_validate_json(envelope.data)
    assert str(completed.totals.total_amount) == "207.80"
    assert str(envelope.tenant_id) == admin.organization_id


async def test_a_viewer_reads_customers_but_cannot_write_them(gateway, admin):
    from .conftest import login

    viewer = new_user(roles=["viewer"])
    assert (await gateway.post("/v1/users", json=viewer, headers=admin.headers)).status_code == 201
    token = await login(gateway, viewer["email"], viewer["password"])
    headers = {"Authorization": f"Bearer {token}"}
    assert (await gateway.get("/v1/customers", headers=headers)).status_code == 200
    denied = await gateway.post("/v1/customers", json={"name": "Nope"}, headers=headers)
    assert denied.status_code == 403
    assert "customers:write" in denied.json()["error"]["message"]


async def test_another_organizations_customer_is_not_found(gateway, admin, stack):
    from .conftest import create_organization, login

    customer = await created(gateway, admin, "/v1/customers", {"name": "Private Co"})
    email, password, _ = create_organization(stack, "Rival Machining")
    rival = {"Authorization": f"Bearer {await login(gateway, email, password)}"}
    response = await gateway.get(f"/v1/customers/{customer['id']}", headers=rival)
    assert response.status_code == 404
    listed = (await gateway.get("/v1/customers", headers=rival)).json()
    assert all(c["id"] != customer["id"] for c in listed["data"])
