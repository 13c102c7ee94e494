"""Identity's edges: NUL characters, unknown filters, bounded inputs, an inclusive date_to."""

from __future__ import annotations

from datetime import UTC, datetime

from millbook_testing.input_bounds import unbounded_inputs

from .conftest import PASSWORD, bearer, field_names, unique_email


def test_every_date_and_integer_identity_takes_is_bounded(app):
    assert [str(found) for found in unbounded_inputs(app)] == []


async def test_a_nul_in_the_public_signup_body_is_a_422_naming_the_field(client):
    body = {
        "organization_name": "Nul\u0000Shop",
        "email": unique_email("nul"),
        "password": PASSWORD,
    }
    response = await client.post("/v1/auth/signup", json=body)
    assert response.status_code == 422, response.text
    assert field_names(response) == ["organization_name"]


async def test_a_nul_in_the_search_parameter_is_a_422(client, org):
    response = await client.get(
        "/v1/users", params={"search": "ad\u0000min"}, headers=bearer(org.admin_token)
    )
    assert response.status_code == 422, response.text
    assert field_names(response) == ["search"]


async def test_an_unknown_filter_on_users_is_refused_with_a_hint(client, org):
    response = await client.get(
        "/v1/users", params={"rol": "admin"}, headers=bearer(org.admin_token)
    )
    assert response.status_code == 422, response.text
    assert field_names(response) == ["rol"]
    assert "did you mean 'role'?" in response.json()["error"]["details"][0]["message"]


async def test_the_audit_trail_of_a_single_day_includes_that_whole_day(client, org):
    """`date_from=D&date_to=D` is the day D, not its first instant (the fixture's login is
    in the trail with today's date)."""
    today = datetime.now(UTC).date().isoformat()
    response = await client.get(
        "/v1/audit",
        params={"action": "identity.auth.login_succeeded", "date_from": today, "date_to": today},
        headers=bearer(org.admin_token),
    )
    assert response.status_code == 200, response.text
    assert [e["actor_id"] for e in response.json()["data"]] == [str(org.admin_id)]


async def test_an_audit_date_beyond_the_ledgers_years_is_a_422(client, org):
    response = await client.get(
        "/v1/audit", params={"date_to": "9999-12-31"}, headers=bearer(org.admin_token)
    )
    assert response.status_code == 422, response.text
    assert field_names(response) == ["date_to"]
