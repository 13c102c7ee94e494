"""Machines with API keys through the gateway: sandbox isolation, revocation, limits, audit."""

import time

import pytest

from millbook_testing.waiting import eventually

pytestmark = pytest.mark.e2e


async def create_key(gateway, admin, **body) -> dict:
    body = {"name": "shop floor terminal", "scopes": ["customers:read", "customers:write"], **body}
    response = await gateway.post("/v1/api-keys", json=body, headers=admin.headers)
    assert response.status_code == 201, response.text
    return response.json()["data"]


async def test_a_test_key_works_in_the_sandbox_and_stops_within_a_second_of_revocation(
    gateway, admin
):
    key = await create_key(gateway, admin, mode="test")
    assert key["secret"].startswith("sk_test_")
    machine = {"X-API-Key": key["secret"]}

    made = await gateway.post("/v1/customers", json={"name": "Sandbox Co"}, headers=machine)
    assert made.status_code == 201, made.text
    customer_id = made.json()["data"]["id"]
    assert (await gateway.get(f"/v1/customers/{customer_id}", headers=machine)).status_code == 200
    # The live organization never sees sandbox data.
    live = await gateway.get(f"/v1/customers/{customer_id}", headers=admin.headers)
    assert live.status_code == 404
    # A key cannot do more than its scopes.
    denied = await gateway.get("/v1/users", headers=machine)
    assert denied.status_code == 403

    revoked = await gateway.post(f"/v1/api-keys/{key['id']}/revoke", headers=admin.headers)
    assert revoked.status_code in (200, 204), revoked.text
    started = time.monotonic()

    async def status() -> int:
        return (await gateway.get("/v1/customers", headers=machine)).status_code

    assert await eventually(status, lambda code: code == 401, within_s=10) == 401
    assert time.monotonic() - started < 1.5


async def test_every_response_carries_the_rate_limit_headers(gateway, admin):
    response = await gateway.get("/v1/users/me", headers=admin.headers)
    limit = int(response.headers["x-ratelimit-limit"])
    remaining = int(response.headers["x-ratelimit-remaining"])
    assert 0 <= remaining < limit
    assert int(response.headers["x-ratelimit-reset"]) >= int(time.time())


async def test_too_many_sign_ins_for_one_email_are_refused_with_retry_after(gateway, admin):
    codes = []
    for _ in range(8):
        response = await gateway.post(
            "/v1/auth/login", json={"email": admin.email, "password": "wrong password!"}
        )
        codes.append(response.status_code)
        if response.status_code == 429:
            assert response.json()["error"]["code"] == "RATE_LIMIT_EXCEEDED"
            assert int(response.headers["retry-after"]) > 0
            break
    assert codes[-1] == 429, codes


async def test_key_creation_and_revocation_are_in_the_audit_trail(gateway, admin):
    key = await create_key(gateway, admin)
    await gateway.post(f"/v1/api-keys/{key['id']}/revoke", headers=admin.headers)

    async def actions() -> set[str]:
        response = await gateway.get(
            "/v1/audit", params={"resource_id": key["id"]}, headers=admin.headers
        )
        assert response.status_code == 200, response.text
        return {entry["action"] for entry in response.json()["data"]}

    found = await eventually(
        actions,
        lambda seen: {"identity.api_key.created", "identity.api_key.revoked"} <= seen,
        what="the key's events in the audit trail",
    )
    assert found
