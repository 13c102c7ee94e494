"""What identity does and announces when a user's credentials must stop working."""

import jwt

from .conftest import PASSWORD, add_user, bearer, events

NEW_PASSWORD = "an entirely new passphrase 42"


async def log_in(client, email):
    response = await client.post("/v1/auth/login", json={"email": email, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return response.json()["data"]


async def refresh(client, token):
    return await client.post("/v1/auth/refresh", json={"refresh_token": token})


def claims(access_token):
    return jwt.decode(access_token, options={"verify_signature": False})


async def test_a_password_change_ends_every_other_session_and_keeps_this_one(client, org, sessions):
    user, _ = await add_user(client, org)  # a first login, on a tablet
    first = await log_in(client, user["email"])
    # The laptop refreshes once: its login now has two rows, both must be kept.
    laptop = (await refresh(client, first["refresh_token"])).json()["data"]
    phone = await log_in(client, user["email"])

    changed = await client.patch(
        "/v1/users/me",
        json={"password": NEW_PASSWORD, "current_password": PASSWORD},
        headers=bearer(laptop["access_token"]),
    )

    assert changed.status_code == 200, changed.text
    assert (await refresh(client, phone["refresh_token"])).status_code == 401
    assert (await refresh(client, laptop["refresh_token"])).status_code == 200
    revoked = await events(sessions, "identity.session.revoked")
    ended = {e["session_id"]: e["reason"] for e in revoked if e["user_id"] == user["id"]}
    assert claims(phone["access_token"])["sid"] in ended
    assert claims(first["access_token"])["sid"] not in ended
    assert claims(laptop["access_token"])["sid"] not in ended
    assert len(ended) == 2  # the phone's and the tablet's
    assert set(ended.values()) == {"password_changed"}


async def test_a_wrong_current_password_ends_no_session(client, org, sessions):
    user, _ = await add_user(client, org)
    laptop = await log_in(client, user["email"])
    phone = await log_in(client, user["email"])

    refused = await client.patch(
        "/v1/users/me",
        json={"password": NEW_PASSWORD, "current_password": "not my password at all"},
        headers=bearer(laptop["access_token"]),
    )

    assert refused.status_code == 422
    assert (await refresh(client, phone["refresh_token"])).status_code == 200


async def test_a_role_change_raises_the_scope_version_that_new_tokens_carry(client, org, sessions):
    user, token = await add_user(client, org, roles=["sales"])
    before = claims(token)["scope_version"]

    changed = await client.patch(
        f"/v1/users/{user['id']}", json={"roles": ["support"]}, headers=bearer(org.admin_token)
    )
    renamed = await client.patch(
        f"/v1/users/{user['id']}", json={"first_name": "Grete"}, headers=bearer(org.admin_token)
    )

    assert changed.status_code == 200, changed.text
    assert renamed.status_code == 200, renamed.text
    [event] = await events(sessions, "identity.user.permissions_changed", user["id"])
    assert event["scope_version"] == before + 1  # a name change outdates no token
    assert event["reason"] == "roles_changed"
    after = await log_in(client, user["email"])
    assert claims(after["access_token"])["scope_version"] == before + 1
    assert "customers:write" not in claims(after["access_token"])["scope"]


async def test_changing_a_custom_roles_scopes_outdates_the_tokens_of_every_holder(
    client, org, sessions
):
    role = await client.post(
        "/v1/roles",
        json={"name": "floor", "scopes": ["customers:read"]},
        headers=bearer(org.admin_token),
    )
    holder, _ = await add_user(client, org, roles=["floor"])
    other, _ = await add_user(client, org, roles=["sales"])

    described = await client.patch(
        f"/v1/roles/{role.json()['data']['id']}",
        json={"description": "The shop floor"},
        headers=bearer(org.admin_token),
    )
    rescoped = await client.patch(
        f"/v1/roles/{role.json()['data']['id']}",
        json={"scopes": ["orders:read"]},
        headers=bearer(org.admin_token),
    )

    assert described.status_code == 200, described.text
    assert rescoped.status_code == 200, rescoped.text
    [event] = await events(sessions, "identity.user.permissions_changed", holder["id"])
    assert event["reason"] == "role_updated"
    assert await events(sessions, "identity.user.permissions_changed", other["id"]) == []


async def test_deactivating_a_user_ends_every_session_of_theirs(client, org, sessions):
    user, _ = await add_user(client, org)
    first = await log_in(client, user["email"])
    second = await log_in(client, user["email"])

    deleted = await client.delete(f"/v1/users/{user['id']}", headers=bearer(org.admin_token))

    assert deleted.status_code == 204
    for tokens in (first, second):
        assert (await refresh(client, tokens["refresh_token"])).status_code == 401
    revoked = await events(sessions, "identity.session.revoked")
    reasons = {e["reason"] for e in revoked if e["user_id"] == user["id"]}
    assert reasons == {"user_deactivated"}


async def test_an_api_key_asking_for_users_me_is_told_a_key_has_no_user(client, org):
    created = await client.post(
        "/v1/api-keys",
        json={"name": "ERP sync", "scopes": ["users:read"]},
        headers=bearer(org.admin_token),
    )
    secret = created.json()["data"]["secret"]
    resolved = await client.post(
        "/internal/v1/api-keys/resolve", json={"secret": secret, "client_ip": "203.0.113.9"}
    )
    key_token = resolved.json()["data"]["access_token"]

    response = await client.get("/v1/users/me", headers=bearer(key_token))

    assert response.status_code == 403
    error = response.json()["error"]
    assert error["code"] == "PERMISSION_DENIED"
    assert "not for a user" in error["message"]


async def test_a_key_outlives_its_creators_deactivation_and_names_its_creator(client, org):
    creator, creator_token = await add_user(client, org, roles=["admin"])
    created = await client.post(
        "/v1/api-keys",
        json={"name": "ERP sync", "scopes": ["users:read"]},
        headers=bearer(creator_token),
    )
    key = created.json()["data"]

    deleted = await client.delete(f"/v1/users/{creator['id']}", headers=bearer(org.admin_token))

    assert deleted.status_code == 204
    # The organization's integration keeps running; its admins see whose key to rotate.
    resolved = await client.post(
        "/internal/v1/api-keys/resolve", json={"secret": key["secret"], "client_ip": "203.0.113.9"}
    )
    assert resolved.status_code == 200
    listed = await client.get(f"/v1/api-keys/{key['id']}", headers=bearer(org.admin_token))
    assert listed.json()["data"]["created_by"] == f"user:{creator['id']}"
