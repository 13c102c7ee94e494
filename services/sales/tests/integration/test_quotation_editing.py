"""Quotation drafts: PATCH, PUT and DELETE, with their events; the PDF; bad input."""

import io
import uuid

from pypdf import PdfReader

from millbook_testing.callers import error_of, fields_named

from .conftest import events_of
from .organizations import organization_created
from .test_quotations import VALID_UNTIL, customer_of, quote

ADDRESS = {
    "line1": "500 Market St",
    "line2": "Floor 3",
    "city": "San Francisco",
    "state": "CA",
    "postal_code": "94105",
    "country": "US",
}


async def draft(caller, **customer_fields) -> tuple[dict, dict]:
    customer = await customer_of(caller, **customer_fields)
    return customer, await caller.created("/v1/quotations", quote(customer["id"]))


async def test_patch_changes_only_what_is_sent_and_recomputes_totals(caller, sessions):
    _, q = await draft(caller)
    response = await caller.patch(
        f"/v1/quotations/{q['id']}",
        {
            "notes": "Rush job",
            "line_items": [
                {"product_name": "Bracket", "quantity": 4, "unit_price": "12.50", "tax_rate": "0.2"}
            ],
        },
    )
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert (data["notes"], data["payment_terms"], data["valid_until"]) == (
        "Rush job",
        "Net 30",
        VALID_UNTIL,
    )
    assert [line["product_name"] for line in data["line_items"]] == ["Bracket"]
    assert (data["subtotal"], data["tax_amount"], data["total_amount"]) == (
        "50.00",
        "10.00",
        "60.00",
    )
    stored = (await caller.get(f"/v1/quotations/{q['id']}")).json()["data"]
    assert stored["total_amount"] == "60.00"
    (event,) = await events_of(sessions, caller.tenant_id, "sales.quotation.updated")
    assert event["changed"] == ["line_items", "notes"]
    assert event["totals"]["total_amount"] == "60.00"
    assert [line["total_amount"] for line in event["lines"]] == ["60.00"]


async def test_a_patch_that_changes_nothing_publishes_nothing(caller, sessions):
    _, q = await draft(caller)
    response = await caller.patch(f"/v1/quotations/{q['id']}", {"lead_time_days": 14})
    assert response.status_code == 200, response.text
    assert await events_of(sessions, caller.tenant_id, "sales.quotation.updated") == []


async def test_put_replaces_a_draft_and_publishes_the_update(caller, sessions):
    _, q = await draft(caller)
    other = await customer_of(caller, name="Beta", currency_code="EUR")
    body = quote(
        other["id"],
        terms="Ex works",
        line_items=[{"product_name": "X", "quantity": 1, "unit_price": "9"}],
    )
    response = await caller.put(f"/v1/quotations/{q['id']}", body)
    assert response.status_code == 200, response.text
    assert (response.json()["data"]["currency_code"], response.json()["data"]["terms"]) == (
        "EUR",
        "Ex works",
    )
    (event,) = await events_of(sessions, caller.tenant_id, "sales.quotation.updated")
    assert {"customer_id", "currency_code", "line_items", "terms"} <= set(event["changed"])
    assert event["customer_id"] == other["id"]


async def test_patch_validates_the_merged_quotation_and_names_the_field(
    caller, other_tenant, sessions
):
    _, q = await draft(caller)
    path = f"/v1/quotations/{q['id']}"
    before_valid = await caller.patch(path, {"valid_until": "2026-01-01"})
    assert before_valid.status_code == 422
    assert fields_named(before_valid) == {"valid_until"}
    later_date = await caller.patch(path, {"quotation_date": "2099-03-01"})  # past valid_until
    assert fields_named(later_date) == {"valid_until"}
    nulls = await caller.patch(path, {"customer_id": None, "line_items": None})
    assert fields_named(nulls) == {"customer_id", "line_items"}
    bad_line = await caller.patch(
        path,
        {"line_items": [{"product_name": "x", "quantity": -1, "unit_price": "1", "tax_rate": "2"}]},
    )
    assert fields_named(bad_line) == {"line_items[0].quantity", "line_items[0].tax_rate"}
    foreign = await other_tenant.post("/v1/customers", {"name": "Theirs"})
    theirs = foreign.json()["data"]["id"]
    assert (await caller.patch(path, {"customer_id": theirs})).status_code == 404
    assert (await caller.patch(path, {"customer_id": str(uuid.uuid4())})).status_code == 404
    assert (await other_tenant.patch(path, {"notes": "x"})).status_code == 404
    unchanged = (await caller.get(path)).json()["data"]
    assert (unchanged["quotation_date"], unchanged["total_amount"]) == ("2026-01-15", "2751.00")
    assert await events_of(sessions, caller.tenant_id, "sales.quotation.updated") == []


async def test_only_drafts_can_be_edited_or_deleted(caller):
    _, q = await draft(caller)
    await caller.post(f"/v1/quotations/{q['id']}/send")
    for response in (
        await caller.patch(f"/v1/quotations/{q['id']}", {"notes": "late"}),
        await caller.patch(f"/v1/quotes/{q['id']}", {"notes": "late"}),
        await caller.delete(f"/v1/quotations/{q['id']}"),
    ):
        assert response.status_code == 409
        assert error_of(response)["code"] == "INVALID_TRANSITION"
    assert (await caller.get(f"/v1/quotations/{q['id']}")).json()["data"]["notes"] is None


async def test_deleting_a_draft_removes_it_and_says_so(caller, other_tenant, sessions):
    customer, q = await draft(caller)
    assert (await other_tenant.delete(f"/v1/quotations/{q['id']}")).status_code == 404
    response = await caller.delete(f"/v1/quotes/{q['id']}")
    assert response.status_code == 204
    assert (await caller.get(f"/v1/quotations/{q['id']}")).status_code == 404
    assert (await caller.delete(f"/v1/quotations/{q['id']}")).status_code == 404
    (event,) = await events_of(sessions, caller.tenant_id, "sales.quotation.deleted")
    assert (event["quotation_id"], event["status"]) == (q["id"], "draft")
    # With its only open quotation gone, the customer may be deleted.
    assert (await caller.delete(f"/v1/customers/{customer['id']}")).status_code == 204


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


async def test_the_pdf_shows_seller_customer_lines_totals_and_terms(caller, sessions):
    await organization_created(sessions, caller.tenant_id, name="Millbook Machining Co")
    customer = await customer_of(
        caller, name="Globex Corporation", billing_address=ADDRESS, tax_number="US-99-1"
    )
    body = quote(customer["id"], terms="Prices exclude freight.", notes="Thank you!")
    body["line_items"][0]["description"] = "Anodized aluminium, 6061-T6"
    q = await caller.created("/v1/quotations", body)
    await caller.post(f"/v1/quotations/{q['id']}/send")
    number = (await caller.get(f"/v1/quotations/{q['id']}")).json()["data"]["quote_number"]

    response = await caller.get(f"/v1/quotations/{q['id']}/pdf")

    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"] == f'inline; filename="{number}.pdf"'
    text = pdf_text(response.content)
    for expected in (
        "Quotation",
        number,
        "Millbook Machining Co",
        "Globex Corporation",
        "500 Market St",
        "94105 San Francisco, CA",
        "US-99-1",
        "Custom CNC Part",
        "Anodized aluminium, 6061-T6",
        "Fixture",
        "2,500.00",
        "0.335",
        VALID_UNTIL,
        "Net 30",
        "250.09 USD",
        "2,751.00 USD",
        "Prices exclude freight.",
        "Thank you!",
    ):
        assert expected in text, expected


async def test_a_draft_pdf_says_draft_and_is_private_to_its_tenant(caller, other_tenant):
    _, q = await draft(caller, name="Zoë Ñandú 東京")
    response = await caller.get(f"/v1/quotations/{q['id']}/pdf")
    assert response.status_code == 200, response.text
    assert response.headers["content-disposition"] == (
        f'inline; filename="quotation-draft-{q["id"]}.pdf"'
    )
    text = pdf_text(response.content)
    assert "DRAFT" in text
    assert "Zoë Ñandú" in text
    assert (await other_tenant.get(f"/v1/quotations/{q['id']}/pdf")).status_code == 404
    reader = caller.as_scope("customers:read")
    assert (await reader.get(f"/v1/quotations/{q['id']}/pdf")).status_code == 403
