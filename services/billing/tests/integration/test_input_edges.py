"""Input at the edges of what billing takes: every answer is the envelope, never a 5xx."""

from __future__ import annotations

import pytest

from millbook_testing.callers import error_of, fields_named
from millbook_testing.input_bounds import unbounded_inputs

from .receivables import a_customer, a_draft


def test_every_date_decimal_and_integer_billing_takes_is_bounded(app):
    """A new field typed `date` or a bare `int` fails here, not in a client's request."""
    assert [str(found) for found in unbounded_inputs(app)] == []


async def test_a_misspelt_filter_is_refused_instead_of_listing_every_invoice(app, caller):
    customer = await a_customer(app, caller)
    await a_draft(caller, customer, "10")
    response = await caller.get("/v1/invoices", params={"client": str(customer)})
    assert response.status_code == 422, response.text
    detail = error_of(response)["details"][0]
    assert detail["field"] == "client"
    assert "did you mean 'customer_id'?" in detail["message"]
    assert "status" in detail["message"]


async def test_seed_style_page_page_size_and_ordering_page_the_list(app, caller):
    customer = await a_customer(app, caller)
    for amount in ("1", "2", "3"):
        await a_draft(caller, customer, amount)
    params = {"customer_id": str(customer), "page": 2, "page_size": 2, "ordering": "total_amount"}
    response = await caller.get("/v1/invoices", params=params)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["meta"] == {"limit": 2, "offset": 2, "total": 3, "next_cursor": None}
    assert [i["total_amount"] for i in body["data"]] == ["3.30"]


async def test_a_cursor_page_has_the_same_meta_shape_to_its_end(app, caller):
    customer = await a_customer(app, caller)
    for amount in ("1", "2", "3"):
        await a_draft(caller, customer, amount)
    first = await caller.get("/v1/invoices", params={"customer_id": str(customer), "limit": 2})
    cursor = first.json()["meta"]["next_cursor"]
    last = await caller.get(
        "/v1/invoices", params={"customer_id": str(customer), "limit": 2, "cursor": cursor}
    )
    assert last.json()["meta"] == {"limit": 2, "next_cursor": None}
    assert len(last.json()["data"]) == 1


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("/v1/invoices", {"offset": str(2**63)}, "offset"),
        ("/v1/payments", {"offset": "9223372036854775807"}, "offset"),
        ("/v1/invoices", {"page": str(2**63)}, "page"),
        (
            "/v1/reports/profit-loss",
            {"start_date": "2026-01-01", "end_date": "9999-12-31"},
            "end_date",
        ),
        ("/v1/reports/balance-sheet", {"as_of_date": "0001-01-01"}, "as_of_date"),
        ("/v1/invoices", {"min_amount": "1e999999"}, "min_amount"),
        ("/v1/invoices", {"max_amount": "NaN"}, "max_amount"),
        ("/v1/invoices", {"updated_since": "9999-12-31T23:59:59-01:00"}, "updated_since"),
        ("/v1/invoices", {"search": "a\u0000b"}, "search"),
    ],
)
async def test_extreme_query_values_are_a_422_naming_the_parameter(caller, path, params, field):
    response = await caller.get(path, params=params)
    assert response.status_code == 422, response.text
    assert field in fields_named(response)


@pytest.mark.parametrize(
    ("line", "field"),
    [
        ({"quantity": "9999999999", "unit_price": "999999999999"}, "line_items"),
        ({"quantity": "1", "unit_price": "1e999999"}, "line_items[0].unit_price"),
        ({"quantity": "Infinity", "unit_price": "1"}, "line_items[0].quantity"),
        (
            {"quantity": "1", "unit_price": "1", "description": "a\u0000"},
            "line_items[0].description",
        ),
    ],
)
async def test_a_line_beyond_what_the_ledger_holds_is_refused(app, caller, line, field):
    customer = await a_customer(app, caller)
    body = {"customer_id": str(customer), "line_items": [{"description": "Work", **line}]}
    response = await caller.post("/v1/invoices", json=body)
    assert response.status_code == 422, response.text
    assert field in fields_named(response)


async def test_an_invoice_dated_past_the_ledgers_years_is_refused(app, caller):
    customer = await a_customer(app, caller)
    body = {
        "customer_id": str(customer),
        "invoice_date": "9999-12-31",
        "line_items": [{"description": "Work", "quantity": "1", "unit_price": "1"}],
    }
    response = await caller.post("/v1/invoices", json=body)
    assert response.status_code == 422, response.text
    assert fields_named(response) == {"invoice_date"}


async def test_another_method_on_a_known_path_is_405_naming_the_allowed_ones(caller):
    response = await caller.request("DELETE", "/v1/invoices")
    assert response.status_code == 405
    assert error_of(response)["code"] == "METHOD_NOT_ALLOWED"
    assert response.headers["allow"] == "GET, POST"


async def test_a_body_that_is_not_json_is_400_malformed_request(caller):
    headers = {**caller.headers(), "content-type": "application/json"}
    response = await caller.http.post("/v1/invoices", content=b"{", headers=headers)
    assert response.status_code == 400
    assert error_of(response)["code"] == "MALFORMED_REQUEST"
