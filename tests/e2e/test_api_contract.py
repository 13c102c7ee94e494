"""The API's contract at its edges, through the gateway: unknown parameters, the seeds'
pagination aliases, bounds, NUL characters, 405 and malformed JSON (issue 9 items 5-7,
issue 10 finding 5). Every answer is the envelope; none is a 5xx."""

import uuid
from datetime import UTC, datetime

import pytest

from .test_bad_input import assert_envelope
from .test_walking_skeleton import new_user

pytestmark = pytest.mark.e2e


def details(response) -> dict[str, str]:
    return {d["field"]: d["message"] for d in response.json()["error"]["details"]}


async def test_a_misspelt_invoice_filter_is_refused_and_suggests_customer_id(gateway, admin):
    response = await gateway.get(
        "/v1/invoices", params={"client": str(uuid.uuid4())}, headers=admin.headers
    )
    assert_envelope(response, 422, "VALIDATION_ERROR")
    assert "did you mean 'customer_id'?" in details(response)["client"]


async def test_page_page_size_and_ordering_page_like_offset_limit_and_sort(gateway, admin):
    for _ in range(2):
        created = await gateway.post("/v1/users", json=new_user(), headers=admin.headers)
        assert created.status_code == 201, created.text

    async def emails(params: dict) -> tuple[list[str], dict]:
        response = await gateway.get("/v1/users", params=params, headers=admin.headers)
        assert response.status_code == 200, response.text
        return [u["email"] for u in response.json()["data"]], response.json()["meta"]

    by_alias, meta = await emails({"page": 2, "page_size": 1, "ordering": "created_at"})
    by_offset, _ = await emails({"offset": 1, "limit": 1, "sort": "created_at"})
    oldest, _ = await emails({"page": 1, "page_size": 1, "ordering": "created_at"})
    assert by_alias == by_offset
    assert oldest == [admin.email]
    assert (meta["limit"], meta["offset"], meta["total"]) == (1, 1, 3)
    refused = await gateway.get("/v1/users", params={"ordering": "email"}, headers=admin.headers)
    assert_envelope(refused, 422, "VALIDATION_ERROR")
    assert set(details(refused)) == {"ordering"}


async def test_next_cursor_leads_to_the_end_where_it_is_null(gateway, admin):
    created = await gateway.post("/v1/users", json=new_user(), headers=admin.headers)
    assert created.status_code == 201, created.text
    first = await gateway.get("/v1/users", params={"limit": 1}, headers=admin.headers)
    cursor = first.json()["meta"]["next_cursor"]
    assert cursor
    last = await gateway.get(
        "/v1/users", params={"limit": 1, "cursor": cursor}, headers=admin.headers
    )
    assert last.json()["meta"] == {"limit": 1, "next_cursor": None}
    empty = await gateway.get("/v1/invoices", headers=admin.headers)
    assert empty.json()["meta"] == {"limit": 20, "offset": 0, "total": 0, "next_cursor": None}


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("/v1/invoices", {"offset": "9223372036854775808"}, "offset"),
        ("/v1/users", {"limit": "9223372036854775808"}, "limit"),
        (
            "/v1/reports/profit-loss",
            {"start_date": "2026-01-01", "end_date": "9999-12-31"},
            "end_date",
        ),
        ("/v1/invoices", {"min_amount": "1e999999"}, "min_amount"),
        ("/v1/customers", {"search": "ac\u0000me"}, "search"),
        ("/v1/users", {"search": "ad\u0000min"}, "search"),
    ],
)
async def test_extreme_or_nul_query_values_are_a_422_naming_the_parameter(
    gateway, admin, path, params, field
):
    response = await gateway.get(path, params=params, headers=admin.headers)
    assert_envelope(response, 422, "VALIDATION_ERROR")
    assert field in details(response)


async def test_a_nul_in_the_public_signup_is_a_422_naming_the_field(gateway):
    body = {
        "organization_name": "Nul\u0000 Works",
        "email": f"nul-{uuid.uuid4().hex[:8]}@e2e.example.com",
        "password": "a long enough passphrase",
    }
    response = await gateway.post("/v1/auth/signup", json=body)
    assert_envelope(response, 422, "VALIDATION_ERROR")
    assert set(details(response)) == {"organization_name"}


async def test_a_nul_in_a_body_field_writes_nothing(gateway, admin):
    response = await gateway.post(
        "/v1/customers", json={"name": "Nul\u0000 Co"}, headers=admin.headers
    )
    assert_envelope(response, 422, "VALIDATION_ERROR")
    assert set(details(response)) == {"name"}


async def test_another_method_on_a_known_path_is_405_with_allow(gateway, admin):
    response = await gateway.delete("/v1/invoices", headers=admin.headers)
    assert_envelope(response, 405, "METHOD_NOT_ALLOWED")
    assert response.headers["allow"] == "GET, POST"


async def test_a_body_that_is_not_json_is_400_malformed_request(gateway, admin):
    response = await gateway.post(
        "/v1/customers",
        content=b'{"name": ',
        headers={**admin.headers, "content-type": "application/json"},
    )
    assert_envelope(response, 400, "MALFORMED_REQUEST")


async def test_the_audit_trail_of_one_day_holds_that_days_entries(gateway, admin):
    today = datetime.now(UTC).date().isoformat()
    response = await gateway.get(
        "/v1/audit",
        params={"date_from": today, "date_to": today, "action": "identity.auth.login_succeeded"},
        headers=admin.headers,
    )
    assert response.status_code == 200, response.text
    assert response.json()["data"], "the admin's login today is in the trail"
