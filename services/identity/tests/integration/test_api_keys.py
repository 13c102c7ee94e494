import uuid
from datetime import UTC, datetime, timedelta

import jwt
from sqlalchemy import update

from millbook_identity.models import ApiKey
from millbook_platform.db import unit_of_work

from .conftest import add_user, bearer, events, field_names

RESOLVE = "/internal/v1/api-keys/resolve"


async def create_key(client, token, **overrides):
    body = {"name": "ERP sync", "scopes": ["users:read"], "mode": "live", **overrides}
    return await client.post("/v1/api-keys", json=body, headers=bearer(token))


async def resolve(client, secret, ip="203.0.113.9"):
    return await client.post(RESOLVE, json={"secret": secret, "client_ip": ip})


async def test_create_shows_the_secret_once_and_records_api_key_created(client, org, sessions):
    response = await create_key(client, org.admin_token, mode="test")

    assert response.status_code == 201, response.text
    key = response.json()["data"]
    assert key["secret"].startswith("sk_test_")
    assert key["prefix"] == key["secret"][:12]
    assert key["last_used_at"] is None
    listed = await client.get("/v1/api-keys", headers=bearer(org.admin_token))
    got = await client.get(f"/v1/keys/{key['id']}", headers=bearer(org.admin_token))
    assert key["secret"] not in listed.text
    assert "secret" not in got.json()["data"]
    assert [k["id"] for k in listed.json()["data"]] == [key["id"]]
    [event] = await events(sessions, "identity.api_key.created", key["id"])
    assert event["mode"] == "test"
    assert event["organization_id"] == str(org.id)
    assert "secret" not in event


async def test_resolve_returns_an_api_key_token_in_the_live_tenant(client, org):
    secret = (await create_key(client, org.admin_token)).json()["data"]["secret"]

    response = await resolve(client, secret)

    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert (data["tenant_id"], data["mode"], data["tier"]) == (str(org.id), "live", "standard")
    assert data["scopes"] == ["users:read"]
    assert data["expires_in"] == 300
    claims = jwt.decode(data["access_token"], options={"verify_signature": False})
    assert claims["kind"] == "api_key"
    assert claims["sub"] == data["key_id"]
    assert claims["tid"] == str(org.id)
    assert "sid" not in claims
    # Names the secret it came from (its public prefix), so a rotation can stop it.
    assert claims["key_prefix"] == secret[:12]
    users = await client.get("/v1/users", headers=bearer(data["access_token"]))
    assert users.status_code == 200
    assert users.json()["meta"]["total"] == 1


async def test_a_test_key_acts_in_the_sandbox_tenant_and_sees_no_live_data(client, org):
    secret = (await create_key(client, org.admin_token, mode="test")).json()["data"]["secret"]
    own = await client.get(f"/v1/organizations/{org.id}", headers=bearer(org.admin_token))

    data = (await resolve(client, secret)).json()["data"]

    assert data["tenant_id"] == own.json()["data"]["sandbox_tenant_id"]
    assert data["tenant_id"] != str(org.id)
    # The organization's budget and overrides still apply to its sandbox traffic.
    assert jwt.decode(data["access_token"], options={"verify_signature": False})["org"] == str(
        org.id
    )
    users = await client.get("/v1/users", headers=bearer(data["access_token"]))
    assert users.json()["meta"]["total"] == 0


async def test_revoked_expired_and_unknown_keys_all_read_the_same(client, org, sessions):
    revoked = (await create_key(client, org.admin_token)).json()["data"]
    expiring = (await create_key(client, org.admin_token)).json()["data"]
    revoke = await client.post(
        f"/v1/api-keys/{revoked['id']}/revoke", headers=bearer(org.admin_token)
    )
    async with unit_of_work(sessions, org.id) as session:
        await session.execute(
            update(ApiKey)
            .where(ApiKey.id == uuid.UUID(expiring["id"]))
            .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )

    answers = [
        await resolve(client, revoked["secret"]),
        await resolve(client, expiring["secret"]),
        await resolve(client, "sk_live_" + "x" * 43),
    ]

    assert revoke.status_code == 200
    assert revoke.json()["data"]["revoked_at"] is not None
    assert [a.status_code for a in answers] == [401] * 3
    assert {a.json()["error"]["code"] for a in answers} == {"AUTH_INVALID"}
    assert len({a.json()["error"]["message"] for a in answers}) == 1
    [event] = await events(sessions, "identity.api_key.revoked", revoked["id"])
    assert event["reason"] == "revoked"


async def test_a_valid_key_from_a_foreign_address_is_forbidden_not_invalid(client, org):
    fenced = (await create_key(client, org.admin_token, allowed_ips=["198.51.100.0/24"])).json()[
        "data"
    ]

    outside = await resolve(client, fenced["secret"], ip="203.0.113.9")

    # Its holder is told why, and not sent to authenticate again with the same key.
    assert outside.status_code == 403
    assert outside.json()["error"]["code"] == "PERMISSION_DENIED"
    assert outside.json()["error"]["message"] == "This key may not be used from this address."
    assert (await resolve(client, fenced["secret"], ip="198.51.100.20")).status_code == 200


async def test_resolving_tells_when_the_secret_stops_by_itself(client, org):
    expires_at = datetime.now(UTC).replace(microsecond=0) + timedelta(days=3)
    key = (await create_key(client, org.admin_token, expires_at=expires_at.isoformat())).json()[
        "data"
    ]
    forever = (await create_key(client, org.admin_token)).json()["data"]

    resolved = (await resolve(client, key["secret"])).json()["data"]

    assert datetime.fromisoformat(resolved["usable_until"]) == expires_at
    assert (await resolve(client, forever["secret"])).json()["data"]["usable_until"] is None


async def test_a_keys_token_never_outlives_its_secret(client, org):
    expires_at = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=100)
    key = (await create_key(client, org.admin_token, expires_at=expires_at.isoformat())).json()[
        "data"
    ]

    resolved = (await resolve(client, key["secret"])).json()["data"]

    claims = jwt.decode(resolved["access_token"], options={"verify_signature": False})
    # Every service refuses it at its `exp`, without an event: the key's own end.
    assert claims["exp"] == int(expires_at.timestamp())
    assert resolved["expires_in"] == claims["exp"] - claims["iat"] <= 100


async def test_rotation_keeps_the_old_secret_for_the_grace_period_only(client, org, sessions):
    key = (await create_key(client, org.admin_token)).json()["data"]

    rotated = await client.post(
        f"/v1/api-keys/{key['id']}/rotate",
        json={"grace_period_seconds": 3600},
        headers=bearer(org.admin_token),
    )
    new_secret = rotated.json()["data"]["secret"]
    during_grace = await resolve(client, key["secret"])
    grace_ends = rotated.json()["data"]["previous_expires_at"]
    async with unit_of_work(sessions, org.id) as session:
        await session.execute(
            update(ApiKey)
            .where(ApiKey.id == uuid.UUID(key["id"]))
            .values(previous_expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
    after_grace = await resolve(client, key["secret"])

    assert rotated.status_code == 200, rotated.text
    assert new_secret != key["secret"]
    assert during_grace.status_code == 200
    # The gateway refuses the old secret at the grace's end without asking again.
    until = during_grace.json()["data"]["usable_until"]
    assert datetime.fromisoformat(until) == datetime.fromisoformat(grace_ends)
    # And its token stops with it, wherever it is presented.
    old_token = jwt.decode(
        during_grace.json()["data"]["access_token"], options={"verify_signature": False}
    )
    assert old_token["key_prefix"] == key["prefix"]
    assert old_token["exp"] <= datetime.fromisoformat(grace_ends).timestamp() + 1
    assert after_grace.status_code == 401
    assert (await resolve(client, new_secret)).status_code == 200
    [event] = await events(sessions, "identity.api_key.rotated", key["id"])
    ends = datetime.fromisoformat(event["previous_secret_expires_at"])
    assert ends == datetime.fromisoformat(grace_ends)


async def test_rotation_without_grace_stops_the_old_secret_and_says_so(client, org, sessions):
    key = (await create_key(client, org.admin_token)).json()["data"]

    rotated = await client.post(
        f"/v1/api-keys/{key['id']}/rotate",
        json={"grace_period_seconds": 0},
        headers=bearer(org.admin_token),
    )

    assert rotated.status_code == 200, rotated.text
    assert (await resolve(client, key["secret"])).status_code == 401
    [event] = await events(sessions, "identity.api_key.rotated", key["id"])
    assert event["previous_secret_expires_at"] is None
    # The new secret's prefix: every service stops the tokens of any other secret.
    assert event["prefix"] == rotated.json()["data"]["secret"][:12] != key["prefix"]


async def test_grace_period_beyond_seven_days_is_refused(client, org):
    key = (await create_key(client, org.admin_token)).json()["data"]
    response = await client.post(
        f"/v1/api-keys/{key['id']}/rotate",
        json={"grace_period_seconds": 8 * 86400},
        headers=bearer(org.admin_token),
    )
    assert response.status_code == 422
    assert field_names(response) == ["grace_period_seconds"]


async def test_last_used_at_is_set_by_resolving(client, org):
    key = (await create_key(client, org.admin_token)).json()["data"]
    await resolve(client, key["secret"])
    got = await client.get(f"/v1/api-keys/{key['id']}", headers=bearer(org.admin_token))
    assert got.json()["data"]["last_used_at"] is not None


async def test_a_key_cannot_have_more_scopes_than_its_creator(client, org):
    _, accountant = await add_user(client, org, roles=["accountant"])
    # An accountant cannot create keys at all; a custom role that may, still cannot overreach.
    denied = await create_key(client, accountant)
    role = await client.post(
        "/v1/roles",
        json={"name": "integrator", "scopes": ["api_keys:write", "users:read"]},
        headers=bearer(org.admin_token),
    )
    _, integrator = await add_user(client, org, roles=["integrator"])

    overreach = await create_key(client, integrator, scopes=["users:read", "invoices:write"])
    fine = await create_key(client, integrator, scopes=["users:read"])

    assert denied.status_code == 403
    assert "api_keys:write" in denied.json()["error"]["message"]
    assert role.status_code == 201, role.text
    assert overreach.status_code == 403
    assert "invoices:write" in overreach.json()["error"]["message"]
    assert fine.status_code == 201


async def test_bad_key_input_names_each_field(client, org):
    response = await client.post(
        "/v1/api-keys",
        json={
            "name": "",
            "scopes": ["rockets:launch"],
            "mode": "prod",
            "allowed_ips": ["10.0.0.0/33"],
            "expires_at": "yesterday",
        },
        headers=bearer(org.admin_token),
    )
    past = await create_key(client, org.admin_token, expires_at="2020-01-01T00:00:00Z")

    assert response.status_code == 422
    assert set(field_names(response)) == {"name", "scopes", "mode", "allowed_ips", "expires_at"}
    assert past.status_code == 422
    assert field_names(past) == ["expires_at"]


async def test_another_organizations_key_is_not_found(client, org, found_org):
    other = await found_org()
    key = (await create_key(client, org.admin_token)).json()["data"]

    for response in (
        await client.get(f"/v1/api-keys/{key['id']}", headers=bearer(other.admin_token)),
        await client.post(f"/v1/api-keys/{key['id']}/revoke", headers=bearer(other.admin_token)),
        await client.post(f"/v1/api-keys/{key['id']}/rotate", headers=bearer(other.admin_token)),
    ):
        assert response.status_code == 404
    assert (await resolve(client, key["secret"])).status_code == 200


async def test_resolve_rejects_malformed_bodies(client):
    response = await client.post(RESOLVE, json={"client_ip": "1.2.3.4"})
    assert response.status_code == 422
    assert field_names(response) == ["secret"]
