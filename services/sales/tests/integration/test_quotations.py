"""Quotations: totals, validation, the status machine, numbering at first send, events."""

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

from millbook_testing.callers import error_of, fields_named

from .conftest import events_of

YEAR = datetime.now(UTC).year
# Still valid when the tests run, so a sent quotation can be accepted.
VALID_UNTIL = (datetime.now(UTC).date() + timedelta(days=60)).isoformat()


def quote(customer_id: str, **overrides) -> dict:
    body = {
        "customer_id": customer_id,
        "quotation_date": "2026-01-15",
        "valid_until": VALID_UNTIL,
        "line_items": [
            {
                "product_name": "Custom CNC Part",
                "quantity": 100,
                "unit_price": "25.00",
                "tax_rate": "0.10",
                "estimated_hours": 8.5,
                "material_cost": 500,
            },
            {
                "product_name": "Fixture",
                "quantity": "3",
                "unit_price": "0.335",
                "discount_percent": "10",
                "tax_rate": "0.10",
            },
        ],
        "payment_terms": "Net 30",
        "lead_time_days": 14,
    }
    return {**body, **overrides}


async def customer_of(caller, **fields) -> dict:
    return await caller.created(
        "/v1/customers", {"name": "Acme", "primary_email": "buy@acme.io", **fields}
    )


async def test_a_draft_has_rounded_line_amounts_and_totals(caller, sessions):
    customer = await customer_of(caller)
    data = await caller.created("/v1/quotations", quote(customer["id"]))
    assert (data["status"], data["quote_number"], data["currency_code"]) == ("draft", None, "USD")
    first, second = data["line_items"]
    assert (first["subtotal"], first["tax_amount"], first["total_amount"]) == (
        "2500.00",
        "250.00",
        "2750.00",
    )
    assert (second["subtotal"], second["discount_amount"], second["total_amount"]) == (
        "1.01",
        "0.10",
        "1.00",
    )
    assert (second["unit_price"], first["unit_price"], first["quantity"]) == (
        "0.335",
        "25.00",
        "100",
    )
    assert (
        data["subtotal"],
        data["discount_amount"],
        data["tax_amount"],
        data["total_amount"],
    ) == ("2501.01", "0.10", "250.09", "2751.00")
    created = await events_of(sessions, caller.tenant_id, "sales.quotation.created")
    assert created[0]["totals"]["total_amount"] == "2751.00"


async def test_bad_quotations_name_their_fields_and_write_nothing(caller, other_tenant, sessions):
    customer = await customer_of(caller)
    bad_line = {
        "product_name": "x",
        "quantity": -1,
        "unit_price": -2,
        "tax_rate": "1.5",
        "discount_percent": 101,
    }
    response = await caller.post(
        "/v1/quotations",
        quote(customer["id"], valid_until="2026-01-01", currency_code="ABC", line_items=[bad_line]),
    )
    assert response.status_code == 422
    assert error_of(response)["code"] == "VALIDATION_ERROR"
    assert {
        "valid_until",
        "currency_code",
        "line_items[0].quantity",
        "line_items[0].unit_price",
        "line_items[0].tax_rate",
        "line_items[0].discount_percent",
    } <= fields_named(response)
    empty = await caller.post("/v1/quotations", quote(customer["id"], line_items=[]))
    assert fields_named(empty) == {"line_items"}
    foreign = await other_tenant.post("/v1/quotations", quote(customer["id"]))
    assert foreign.status_code == 404
    unknown = await caller.post("/v1/quotations", quote(str(uuid.uuid4())))
    assert unknown.status_code == 404
    assert (await caller.get("/v1/quotations")).json()["meta"]["total"] == 0
    assert await events_of(sessions, caller.tenant_id, "sales.quotation.created") == []


async def test_send_numbers_the_quotation_and_tells_the_inbox_what_to_email(caller, sessions):
    customer = await customer_of(caller)
    q = await caller.created("/v1/quotations", quote(customer["id"]))
    sent = await caller.post(f"/v1/quotations/{q['id']}/send")
    assert sent.status_code == 200, sent.text
    assert sent.json()["data"]["quote_number"] == f"QUO-{YEAR}-0001"
    event = (await events_of(sessions, caller.tenant_id, "sales.quotation.sent"))[0]
    assert event["recipient_email"] == "buy@acme.io"
    assert event["customer_name"] == "Acme"
    assert event["quote_number"] == f"QUO-{YEAR}-0001"
    assert [line["total_amount"] for line in event["lines"]] == ["2750.00", "1.00"]
    assert event["totals"]["total_amount"] == "2751.00"


async def test_numbers_are_gap_free_and_given_only_at_first_send(caller):
    customer = await customer_of(caller)
    drafts = [await caller.created("/v1/quotations", quote(customer["id"])) for _ in range(4)]
    never_sent = drafts.pop()
    responses = await asyncio.gather(*(caller.post(f"/v1/quotes/{d['id']}/send") for d in drafts))
    numbers = sorted(r.json()["data"]["quote_number"] for r in responses)
    assert numbers == [f"QUO-{YEAR}-{n:04d}" for n in (1, 2, 3)]
    again = await caller.post(f"/v1/quotations/{drafts[0]['id']}/send")
    assert again.status_code == 409
    unsent = (await caller.get(f"/v1/quotations/{never_sent['id']}")).json()["data"]
    assert unsent["quote_number"] is None


async def test_illegal_steps_are_invalid_transitions(caller):
    customer = await customer_of(caller)
    q = await caller.created("/v1/quotations", quote(customer["id"]))
    for action in ("accept", "reject"):
        response = await caller.post(f"/v1/quotations/{q['id']}/{action}")
        assert response.status_code == 409
        assert error_of(response)["code"] == "INVALID_TRANSITION"
    await caller.post(f"/v1/quotations/{q['id']}/send")
    edit = await caller.put(f"/v1/quotations/{q['id']}", quote(customer["id"]))
    assert error_of(edit)["code"] == "INVALID_TRANSITION"
    rejected = await caller.post(f"/v1/quotations/{q['id']}/reject", {"reason": "too dear"})
    assert rejected.json()["data"]["rejection_reason"] == "too dear"
    accept = await caller.post(f"/v1/quotations/{q['id']}/accept")
    assert error_of(accept)["code"] == "INVALID_TRANSITION"


async def test_a_draft_can_be_replaced_and_any_quotation_duplicated(caller, sessions):
    customer = await customer_of(caller, currency_code="JPY")
    q = await caller.created("/v1/quotations", quote(customer["id"]))
    assert q["total_amount"] == "2751"
    one_line = [{"product_name": "Only", "quantity": 2, "unit_price": "10"}]
    replaced = await caller.put(
        f"/v1/quotations/{q['id']}", quote(customer["id"], line_items=one_line)
    )
    assert replaced.status_code == 200, replaced.text
    assert [line["product_name"] for line in replaced.json()["data"]["line_items"]] == ["Only"]
    await caller.post(f"/v1/quotations/{q['id']}/send")
    await caller.post(f"/v1/quotations/{q['id']}/accept")
    copy = await caller.post(f"/v1/quotations/{q['id']}/duplicate")
    assert copy.status_code == 201
    data = copy.json()["data"]
    assert (data["status"], data["quote_number"], data["duplicated_from"]) == (
        "draft",
        None,
        q["id"],
    )
    assert data["total_amount"] == "20"
    accepted = await events_of(sessions, caller.tenant_id, "sales.quotation.accepted")
    assert accepted[0]["lines"][0]["product_name"] == "Only"


async def test_open_quotations_block_customer_deletion(caller):
    customer = await customer_of(caller)
    await caller.created("/v1/quotations", quote(customer["id"]))
    response = await caller.delete(f"/v1/customers/{customer['id']}")
    assert response.status_code == 409
    assert error_of(response)["code"] == "RESOURCE_CONFLICT"


async def test_list_filters_by_status_customer_and_date(caller):
    acme = await customer_of(caller)
    beta = await customer_of(caller, name="Beta")
    q1 = await caller.created("/v1/quotations", quote(acme["id"]))
    await caller.created(
        "/v1/quotations", quote(beta["id"], quotation_date="2026-03-01", valid_until=None)
    )
    await caller.post(f"/v1/quotations/{q1['id']}/send")
    sent = await caller.get("/v1/quotations", params={"status": "sent"})
    assert [q["id"] for q in sent.json()["data"]] == [q1["id"]]
    of_beta = await caller.get("/v1/quotations", params={"customer_id": beta["id"]})
    assert of_beta.json()["meta"]["total"] == 1
    march = await caller.get("/v1/quotations", params={"date_from": "2026-02-01"})
    assert march.json()["meta"]["total"] == 1


async def test_a_quotation_past_its_validity_cannot_be_accepted(caller):
    customer = await customer_of(caller)
    body = quote(customer["id"], quotation_date="2026-01-15", valid_until="2026-02-15")
    quotation = await caller.created("/v1/quotations", body)
    assert (await caller.post(f"/v1/quotations/{quotation['id']}/send")).status_code == 200

    response = await caller.post(f"/v1/quotations/{quotation['id']}/accept")

    assert response.status_code == 409
    assert error_of(response)["code"] == "INVALID_TRANSITION"
    assert "2026-02-15" in error_of(response)["message"]
    still = (await caller.get(f"/v1/quotations/{quotation['id']}")).json()["data"]
    assert still["status"] == "sent"
