import uuid

from .conftest import PASSWORD, add_user, bearer, events, field_names, login, unique_email


async def test_put_replaces_email_names_and_roles_and_records_the_changes(client, org, sessions):
    user, _ = await add_user(client, org, roles=["viewer"])
    new_email = unique_email("renamed").upper()

    response = await client.put(
        f"/v1/users/{user['id']}",
        json={"email": new_email, "first_name": "Ada", "last_name": "Byron", "roles": ["sales"]},
        headers=bearer(org.admin_token),
    )

    assert response.status_code == 200, response.text
    body = response.json()["data"]
    assert (body["email"], body["first_name"], body["roles"]) == (
        new_email.lower(),
        "Ada",
        ["sales"],
    )
    [updated] = await events(sessions, "identity.user.updated", user["id"])
    assert updated["changed"] == ["email", "first_name", "last_name", "roles"]
    [changed] = await events(sessions, "identity.role.changed", user["id"])
    assert (changed["previous_roles"], changed["roles"]) == (["viewer"], ["sales"])


async def test_put_without_every_field_is_a_validation_error(client, org):
    user, _ = await add_user(client, org)
    response = await client.put(
        f"/v1/users/{user['id']}", json={"first_name": "Ada"}, headers=bearer(org.admin_token)
    )
    assert response.status_code == 422
    assert set(field_names(response)) == {"email", "last_name", "roles"}


async def test_patch_changes_only_what_is_given(client, org, sessions):
    user, _ = await add_user(client, org, roles=["viewer"])

    response = await client.patch(
        f"/v1/users/{user['id']}", json={"last_name": "Lovelace"}, headers=bearer(org.admin_token)
    )

    assert response.status_code == 200
    assert response.json()["data"]["roles"] == ["viewer"]
    assert response.json()["data"]["last_name"] == "Lovelace"
    assert await events(sessions, "identity.role.changed", user["id"]) == []


async def test_patch_to_a_taken_email_is_a_conflict(client, org):
    first, _ = await add_user(client, org)
    second, _ = await add_user(client, org)
    response = await client.patch(
        f"/v1/users/{second['id']}",
        json={"email": first["email"].upper()},
        headers=bearer(org.admin_token),
    )
    assert response.status_code == 409


async def test_patch_with_an_unknown_role_or_field_names_it(client, org):
    user, _ = await add_user(client, org)
    headers = bearer(org.admin_token)
    role = await client.patch(f"/v1/users/{user['id']}", json={"roles": ["root"]}, headers=headers)
    status = await client.patch(
        f"/v1/users/{user['id']}", json={"status": "inactive"}, headers=headers
    )
    assert role.status_code == status.status_code == 422
    assert field_names(role) == ["roles"]
    assert field_names(status) == ["status"]


async def test_delete_deactivates_keeps_history_and_records_user_deactivated(client, org, sessions):
    user, _ = await add_user(client, org)

    deleted = await client.delete(f"/v1/users/{user['id']}", headers=bearer(org.admin_token))
    again = await client.delete(f"/v1/users/{user['id']}", headers=bearer(org.admin_token))
    shown = await client.get(f"/v1/users/{user['id']}", headers=bearer(org.admin_token))

    assert deleted.status_code == again.status_code == 204
    assert shown.json()["data"]["status"] == "inactive"
    assert shown.json()["data"]["deactivated_at"] is not None
    assert len(await events(sessions, "identity.user.deactivated", user["id"])) == 1


async def test_an_admin_cannot_deactivate_themselves(client, org):
    response = await client.delete(f"/v1/users/{org.admin_id}", headers=bearer(org.admin_token))
    assert response.status_code == 409


async def test_only_users_delete_may_deactivate(client, org):
    target, _ = await add_user(client, org)
    _, viewer = await add_user(client, org, roles=["viewer"])
    response = await client.delete(f"/v1/users/{target['id']}", headers=bearer(viewer))
    assert response.status_code == 403
    assert "users:delete" in response.json()["error"]["message"]


async def test_another_organizations_user_cannot_be_changed_or_deleted(client, org, found_org):
    other = await found_org()
    user, _ = await add_user(client, org)
    headers = bearer(other.admin_token)
    for response in (
        await client.patch(f"/v1/users/{user['id']}", json={"first_name": "X"}, headers=headers),
        await client.delete(f"/v1/users/{user['id']}", headers=headers),
    ):
        assert response.status_code == 404


async def test_list_filters_by_role(client, org):
    accountant, _ = await add_user(client, org, roles=["accountant"])
    await add_user(client, org, roles=["sales"])
    response = await client.get(
        "/v1/users", params={"role": "accountant"}, headers=bearer(org.admin_token)
    )
    assert [u["id"] for u in response.json()["data"]] == [accountant["id"]]


async def test_me_may_change_names_and_email_but_never_roles_status_or_tenant(client, org):
    user, token = await add_user(client, org, roles=["viewer"])
    headers = bearer(token)

    renamed = await client.patch("/v1/users/me", json={"first_name": "Hedy"}, headers=headers)
    roles = await client.patch("/v1/users/me", json={"roles": ["admin"]}, headers=headers)
    status = await client.put(
        "/v1/users/me",
        json={"email": user["email"], "first_name": "A", "last_name": "B", "status": "active"},
        headers=headers,
    )
    tenant = await client.patch(
        "/v1/users/me", json={"organization_id": str(uuid.uuid4())}, headers=headers
    )
    me = (await client.get("/v1/users/me", headers=headers)).json()["data"]

    assert renamed.status_code == 200
    assert renamed.json()["data"]["first_name"] == "Hedy"
    assert [r.status_code for r in (roles, status, tenant)] == [422, 422, 422]
    assert field_names(roles) == ["roles"]
    assert field_names(status) == ["status"]
    assert field_names(tenant) == ["organization_id"]
    assert me["roles"] == ["viewer"]
    assert me["organization_id"] == str(org.id)


async def test_me_changes_password_only_with_the_current_one(client, org):
    user, token = await add_user(client, org)
    headers = bearer(token)
    new_password = "another sturdy passphrase"

    without = await client.patch("/v1/users/me", json={"password": new_password}, headers=headers)
    wrong = await client.patch(
        "/v1/users/me",
        json={"password": new_password, "current_password": "not it at all"},
        headers=headers,
    )
    weak = await client.patch(
        "/v1/users/me",
        json={"password": "1234567890", "current_password": PASSWORD},
        headers=headers,
    )
    right = await client.patch(
        "/v1/users/me",
        json={"password": new_password, "current_password": PASSWORD},
        headers=headers,
    )

    assert [r.status_code for r in (without, wrong, weak)] == [422, 422, 422]
    assert field_names(without) == field_names(wrong) == ["current_password"]
    assert field_names(weak) == ["password"]
    assert right.status_code == 200
    assert await login(client, user["email"], new_password)
    assert "password" not in right.text.replace('"password_', "")


async def test_me_put_replaces_names_and_asks_to_confirm_a_new_email(client, org):
    user, token = await add_user(client, org)
    email = unique_email("me")
    response = await client.put(
        "/v1/users/me",
        json={
            "email": email,
            "first_name": "Mary",
            "last_name": "Jackson",
            "current_password": PASSWORD,
        },
        headers=bearer(token),
    )
    assert response.status_code == 202, response.text
    data = response.json()["data"]
    assert (data["email"], data["pending_email"], data["last_name"]) == (
        user["email"],
        email,
        "Jackson",
    )


async def test_assigning_roles_worth_more_than_the_caller_holds_is_denied(client, org):
    await client.post(
        "/v1/roles",
        json={"name": "people-ops", "scopes": ["users:read", "users:write"]},
        headers=bearer(org.admin_token),
    )
    _, hr = await add_user(client, org, roles=["people-ops"])

    escalate = await client.post(
        "/v1/users",
        json={
            "email": unique_email(),
            "password": PASSWORD,
            "first_name": "E",
            "last_name": "V",
            "roles": ["admin"],
        },
        headers=bearer(hr),
    )
    fine = await client.post(
        "/v1/users",
        json={
            "email": unique_email(),
            "password": PASSWORD,
            "first_name": "E",
            "last_name": "V",
            "roles": ["people-ops"],
        },
        headers=bearer(hr),
    )

    assert escalate.status_code == 403
    assert "admin" in escalate.json()["error"]["message"]
    assert fine.status_code == 201
