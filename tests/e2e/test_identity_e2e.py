"""Identity's user journeys through the gateway: roles, sessions, lockout and the audit trail."""

import uuid

import httpx
import pytest

from millbook_testing.waiting import eventually

from .conftest import login, own_loopback_address

pytestmark = pytest.mark.e2e


PASSWORD = "a long enough passphrase"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def person(roles: list[str]) -> dict:
    return {
        "email": f"person-{uuid.uuid4().hex[:8]}@e2e.example.com",
        "password": PASSWORD,
        "first_name": "Katherine",
        "last_name": "Johnson",
        "roles": roles,
    }


async def hire(gateway, admin, roles: list[str]) -> tuple[dict, str]:
    body = person(roles)
    created = await gateway.post("/v1/users", json=body, headers=admin.headers)
    assert created.status_code == 201, created.text
    return created.json()["data"], await login(gateway, body["email"], PASSWORD)


async def test_users_with_different_roles_meet_the_limits_of_their_roles(gateway, admin):
    accountant_user, accountant = await hire(gateway, admin, ["accountant"])
    _, viewer = await hire(gateway, admin, ["viewer"])

    reads = await gateway.get("/v1/users", headers=bearer(accountant))
    creates = await gateway.post("/v1/users", json=person(["viewer"]), headers=bearer(accountant))
    promotes = await gateway.patch(
        "/v1/users/me", json={"roles": ["admin"]}, headers=bearer(accountant)
    )
    audit = await gateway.get("/v1/audit", headers=bearer(viewer))
    keys = await gateway.post(
        "/v1/api-keys", json={"name": "k", "scopes": ["users:read"]}, headers=bearer(viewer)
    )
    me = await gateway.get("/v1/users/me", headers=bearer(accountant))

    assert reads.status_code == 200
    assert creates.status_code == 403
    assert "users:write" in creates.json()["error"]["message"]
    assert promotes.status_code == 422
    assert [d["field"] for d in promotes.json()["error"]["details"]] == ["roles"]
    assert audit.status_code == 403
    assert "audit:read" in audit.json()["error"]["message"]
    assert keys.status_code == 403
    assert me.json()["data"]["roles"] == ["accountant"] == accountant_user["roles"]


async def test_reusing_a_refresh_token_kills_the_session(gateway, admin):
    first = await gateway.post(
        "/v1/auth/login", json={"email": admin.email, "password": admin.password}
    )
    tokens = first.json()["data"]

    rotated = await gateway.post(
        "/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
    )
    newest = rotated.json()["data"]
    reused = await gateway.post("/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    next_refresh = await gateway.post(
        "/v1/auth/refresh", json={"refresh_token": newest["refresh_token"]}
    )

    assert rotated.status_code == 200, rotated.text
    assert newest["refresh_token"] != tokens["refresh_token"]
    assert reused.status_code == 401
    assert next_refresh.status_code == 401
    assert next_refresh.json()["error"]["code"] == "AUTH_INVALID"


async def test_after_logout_the_access_token_stops_working_at_the_gateway_within_a_second(
    gateway, admin
):
    import time

    other = (
        await gateway.post(
            "/v1/auth/login", json={"email": admin.email, "password": admin.password}
        )
    ).json()["data"]["access_token"]
    assert (await gateway.get("/v1/users/me", headers=admin.headers)).status_code == 200
    out = await gateway.post("/v1/auth/logout", headers=admin.headers)
    assert out.status_code == 204, out.text
    started = time.monotonic()

    async def status() -> int:
        return (await gateway.get("/v1/users/me", headers=admin.headers)).status_code

    await eventually(status, lambda code: code == 401, within_s=10, what="the token refused")
    assert time.monotonic() - started < 1.5  # not at the token's expiry, 15 minutes on
    # Another session of the same person is untouched.
    still = await gateway.get("/v1/users/me", headers=bearer(other))
    assert still.status_code == 200


async def test_wrong_passwords_lock_the_failing_address_while_the_owner_logs_in_elsewhere(
    stack, gateway, admin
):
    body = person(["viewer"])
    assert (await gateway.post("/v1/users", json=body, headers=admin.headers)).status_code == 201
    wrong = {"email": body["email"], "password": "not the password at all"}
    right = {**wrong, "password": PASSWORD}
    attacker_ip, owner_ip = own_loopback_address(), own_loopback_address()

    async with (
        from_address(stack.gateway, attacker_ip) as attacker,
        from_address(stack.gateway, owner_ip) as owner,
        httpx.AsyncClient(base_url=stack.url("identity"), timeout=30) as identity,
    ):
        # The attacker claims to be the owner's address; the gateway overwrites the claim.
        forged = {"X-Millbook-Client-Ip": owner_ip}
        failures = [
            await attacker.post("/v1/auth/login", json=wrong, headers=forged) for _ in range(5)
        ]
        refused = await attacker.post("/v1/auth/login", json=right, headers=forged)
        owners_login = await owner.post("/v1/auth/login", json=right)
        # The gateway's own per-(email, address) budget may answer the attacker first;
        # identity's lock of the attacker's address outlasts it.
        locked = await identity.post(
            "/v1/auth/login", json=right, headers={"X-Millbook-Client-Ip": attacker_ip}
        )

    assert [f.status_code for f in failures] == [401] * 5
    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) > 0
    assert owners_login.status_code == 200, owners_login.text
    assert locked.status_code == 429
    assert locked.json()["error"]["code"] == "RATE_LIMIT_EXCEEDED"
    assert "failed logins" in locked.json()["error"]["message"]
    assert 800 < int(locked.headers["retry-after"]) <= 900


def from_address(base_url: str, address: str) -> httpx.AsyncClient:
    """A client calling from its own loopback address, as a person elsewhere would."""
    transport = httpx.AsyncHTTPTransport(local_address=address)
    return httpx.AsyncClient(base_url=base_url, transport=transport, timeout=30)


async def test_the_audit_trail_shows_the_login_and_the_user_creation(gateway, admin):
    user, _ = await hire(gateway, admin, ["viewer"])

    async def entries(**params):
        response = await gateway.get("/v1/audit", params=params, headers=admin.headers)
        assert response.status_code == 200, response.text
        return response.json()["data"]

    created = await eventually(
        lambda: entries(action="identity.user.created", resource_id=user["id"]),
        lambda found: len(found) == 1,
        every_s=0.25,  # through the gateway: within the user's 100 requests a minute
        what="the user creation in the audit trail",
    )
    logins = await entries(action="identity.auth.login_succeeded", resource_id=user["id"])

    assert created[0]["actor"].startswith("user:")
    assert created[0]["request_id"]
    assert created[0]["payload"]["email"] == user["email"]
    assert len(logins) == 1
    assert logins[0]["actor_id"] == user["id"]
