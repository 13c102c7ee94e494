"""One thin path through every layer, as a user would walk it through the gateway."""

import time
import uuid

import pytest

from millbook_testing.waiting import eventually

from .conftest import login

pytestmark = pytest.mark.e2e


def new_user(**overrides) -> dict:
    body = {
        "email": f"user-{uuid.uuid4().hex[:8]}@e2e.example.com",
        "password": "a long enough passphrase",
        "first_name": "Ada",
        "last_name": "Lovelace",
        "roles": ["viewer"],
    }
    body.update(overrides)
    return body


async def user_count(gateway, admin) -> int:
    response = await gateway.get("/v1/analytics/users/count", headers=admin.headers)
    assert response.status_code == 200, response.text
    return response.json()["data"]["count"]


async def test_a_created_user_reaches_the_analytics_count_within_a_second(gateway, admin):
    before = await eventually(
        lambda: user_count(gateway, admin), lambda n: n >= 1, what="the admin counted"
    )
    created = await gateway.post("/v1/users", json=new_user(), headers=admin.headers)
    assert created.status_code == 201, created.text
    started = time.monotonic()
    await eventually(
        lambda: user_count(gateway, admin),
        lambda n: n == before + 1,
        within_s=10,
        what="the new user counted",
    )
    assert time.monotonic() - started < 1.0


async def test_login_then_me_shows_who_i_am(gateway, admin):
    me = await gateway.get("/v1/users/me", headers=admin.headers)
    assert me.status_code == 200
    body = me.json()["data"]
    assert body["email"] == admin.email
    assert "password_hash" not in body
    assert me.headers["x-request-id"]


async def test_the_created_user_can_log_in_but_not_create_users(gateway, admin):
    body = new_user()
    assert (await gateway.post("/v1/users", json=body, headers=admin.headers)).status_code == 201
    token = await login(gateway, body["email"], body["password"])
    denied = await gateway.post(
        "/v1/users", json=new_user(), headers={"Authorization": f"Bearer {token}"}
    )
    assert denied.status_code == 403
    assert denied.json()["error"]["code"] == "PERMISSION_DENIED"
    assert "users:write" in denied.json()["error"]["message"]


async def test_a_client_request_id_comes_back(gateway, admin):
    response = await gateway.get("/v1/users/me", headers={**admin.headers, "X-Request-Id": "abc-1"})
    assert response.headers["x-request-id"] == "abc-1"


async def test_another_organization_cannot_see_my_users(gateway, admin, stack):
    from .conftest import create_organization

    created = await gateway.post("/v1/users", json=new_user(), headers=admin.headers)
    user_id = created.json()["data"]["id"]
    email, password, _ = create_organization(stack, "Rival Shop")
    rival = {"Authorization": f"Bearer {await login(gateway, email, password)}"}
    response = await gateway.get(f"/v1/users/{user_id}", headers=rival)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "RESOURCE_NOT_FOUND"


async def test_merged_openapi_documents_every_service(gateway):
    document = (await gateway.get("/openapi.json")).json()
    assert "/v1/users" in document["paths"]
    create_user = document["paths"]["/v1/users"]["post"]
    assert {"bearerAuth": ["users:write"]} in create_user["security"]
    assert {"apiKeyAuth": ["users:write"]} in create_user["security"]
    assert "security" not in document["paths"]["/v1/auth/login"]["post"]
    assert "/v1/analytics/users/count" in document["paths"]
    assert (await gateway.get("/docs")).status_code == 200


async def test_the_gateway_is_ready_when_every_service_is(gateway):
    response = await gateway.get("/health/ready")
    assert response.status_code == 200, response.text
