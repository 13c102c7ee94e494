"""`POST /v1/users/{id}/reactivate` brings a deactivated user back."""

from millbook_contracts.events import UserReactivated

from .conftest import PASSWORD, add_user, bearer, events, login, unique_email


async def deactivated_user(client, org, **overrides) -> dict:
    user, _ = await add_user(client, org, **overrides)
    deleted = await client.delete(f"/v1/users/{user['id']}", headers=bearer(org.admin_token))
    assert deleted.status_code == 204
    return user


async def test_a_reactivated_user_logs_in_again_with_the_same_password(client, org):
    email = unique_email("back")
    user = await deactivated_user(client, org, email=email)
    refused = await client.post("/v1/auth/login", json={"email": email, "password": PASSWORD})

    response = await client.post(
        f"/v1/users/{user['id']}/reactivate", headers=bearer(org.admin_token)
    )

    assert refused.status_code == 401
    assert response.status_code == 200, response.text
    body = response.json()["data"]
    assert (body["status"], body["deactivated_at"], body["roles"]) == ("active", None, ["sales"])
    assert await login(client, email, organization_id=org.id)


async def test_reactivation_publishes_user_reactivated_with_what_read_models_need(
    client, org, sessions
):
    user = await deactivated_user(client, org, roles=["accountant", "viewer"])

    await client.post(f"/v1/users/{user['id']}/reactivate", headers=bearer(org.admin_token))

    [payload] = await events(sessions, "identity.user.reactivated", user["id"])
    event = UserReactivated.model_validate(payload)
    assert (str(event.user_id), event.organization_id) == (user["id"], org.id)
    assert (event.email, event.roles) == (user["email"], ["accountant", "viewer"])
    assert (event.first_name, event.last_name) == (user["first_name"], user["last_name"])
    assert event.reactivated_at.tzinfo is not None


async def test_reactivating_an_active_user_is_an_invalid_transition(client, org, sessions):
    user, _ = await add_user(client, org)

    response = await client.post(
        f"/v1/users/{user['id']}/reactivate", headers=bearer(org.admin_token)
    )

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "INVALID_TRANSITION"
    assert await events(sessions, "identity.user.reactivated", user["id"]) == []


async def test_reactivating_twice_publishes_once(client, org, sessions):
    user = await deactivated_user(client, org)
    path = f"/v1/users/{user['id']}/reactivate"

    first = await client.post(path, headers=bearer(org.admin_token))
    second = await client.post(path, headers=bearer(org.admin_token))

    assert (first.status_code, second.status_code) == (200, 409)
    assert len(await events(sessions, "identity.user.reactivated", user["id"])) == 1


async def test_reactivation_needs_users_write(client, org):
    user = await deactivated_user(client, org)
    _, viewer = await add_user(client, org, roles=["viewer"])

    response = await client.post(f"/v1/users/{user['id']}/reactivate", headers=bearer(viewer))

    assert response.status_code == 403
    assert "users:write" in response.json()["error"]["message"]


async def test_reactivating_a_user_whose_roles_exceed_the_caller_is_denied(client, org):
    await client.post(
        "/v1/roles",
        json={"name": "people-ops", "scopes": ["users:read", "users:write"]},
        headers=bearer(org.admin_token),
    )
    _, hr = await add_user(client, org, roles=["people-ops"])
    admin = await deactivated_user(client, org, roles=["admin"])
    clerk = await deactivated_user(client, org, roles=["people-ops"])

    escalate = await client.post(f"/v1/users/{admin['id']}/reactivate", headers=bearer(hr))
    fine = await client.post(f"/v1/users/{clerk['id']}/reactivate", headers=bearer(hr))

    assert escalate.status_code == 403
    assert "admin" in escalate.json()["error"]["message"]
    assert fine.status_code == 200


async def test_another_organizations_user_cannot_be_reactivated(client, org, found_org):
    other = await found_org()
    user = await deactivated_user(client, org)

    response = await client.post(
        f"/v1/users/{user['id']}/reactivate", headers=bearer(other.admin_token)
    )
    shown = await client.get(f"/v1/users/{user['id']}", headers=bearer(org.admin_token))

    assert response.status_code == 404
    assert shown.json()["data"]["status"] == "inactive"
