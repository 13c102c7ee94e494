"""Issue 4's journey, through the gateway only: a lead becomes a customer, a priced CNC
part becomes an accepted quotation, the quotation an order that is completed, and each
step's event is on its topic, valid against its contract."""

import pytest

from millbook_contracts import sales

from .events import published

pytestmark = pytest.mark.e2e


async def call(
    gateway, admin, method: str, path: str, body: dict | None = None, params: dict | None = None
) -> dict:
    response = await gateway.request(method, path, json=body, params=params, headers=admin.headers)
    assert response.status_code in (200, 201), f"{method} {path}: {response.text}"
    return response.json()["data"]


async def test_a_newcomer_takes_a_lead_to_a_completed_order(stack, gateway, admin):
    lead = await call(
        gateway,
        admin,
        "POST",
        "/v1/leads",
        {
            "name": "Dana Whitfield",
            "company": "Whitfield Hydraulics",
            "email": "dana@whitfield.example.com",
            "source": "trade_show",
            "estimated_value": "4800.00",
        },
    )
    converted = await call(gateway, admin, "POST", f"/v1/leads/{lead['id']}/convert")
    customer_id = converted["customer_id"]

    part = {
        "product_name": "Manifold block",
        "machining_complexity": "complex",
        "material_type": "aluminum",
        "quantity": 40,
        "specifications": {"dimensions_mm": {"length": 120, "width": 80, "height": 40}},
    }
    estimate = await call(gateway, admin, "POST", "/v1/pricing/calculate", {"line_items": [part]})
    line = estimate["pricing_breakdown"][0]
    assert line["estimate_source"] == "complexity_table"  # a new tenant has no history
    assert float(line["suggested_price"]) > float(line["total_cost"]) > 0

    quotation = await call(
        gateway,
        admin,
        "POST",
        "/v1/quotations",
        {
            "customer_id": customer_id,
            "line_items": [
                {"product_name": "Manifold block", "quantity": 40, "unit_price": "1.00",
                 "tax_rate": "0.08"},
            ],
        },
    )  # fmt: skip
    priced = await call(
        gateway,
        admin,
        "POST",
        f"/v1/quotations/{quotation['id']}/calculate-pricing",
        {"line_items": [{**part, "line_number": 1}], "apply": True},
    )
    assert priced["applied"] is True
    quotation = await call(gateway, admin, "GET", f"/v1/quotations/{quotation['id']}")
    assert quotation["line_items"][0]["unit_price"] == line["unit_price"]

    await call(gateway, admin, "POST", f"/v1/quotations/{quotation['id']}/send")
    accepted = await call(gateway, admin, "POST", f"/v1/quotations/{quotation['id']}/accept")
    assert accepted["status"] == "accepted"
    assert accepted["quote_number"].startswith("QUO-")
    order = await call(gateway, admin, "POST", "/v1/orders", {"quotation_id": quotation["id"]})
    for step in ("start-production", "ship", "complete"):
        order = await call(gateway, admin, "POST", f"/v1/orders/{order['id']}/{step}")
    assert order["status"] == "completed"
    assert order["total_amount"] == accepted["total_amount"]

    for event, key in (
        (sales.LeadCreated, lead["id"]),
        (sales.LeadConverted, lead["id"]),
        (sales.CustomerCreated, customer_id),
        (sales.OpportunityCreated, converted["opportunity_id"]),
        (sales.QuotationCreated, quotation["id"]),
        (sales.QuotationPriced, quotation["id"]),
        (sales.QuotationSent, quotation["id"]),
        (sales.QuotationAccepted, quotation["id"]),
        (sales.OrderCreated, order["id"]),
        (sales.OrderCompleted, order["id"]),
    ):
        envelope = await published(stack, event, key)
        assert str(envelope.tenant_id) == admin.organization_id
