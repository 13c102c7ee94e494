from .conftest import add_user, bearer, field_names, login, new_user_body


async def create_role(client, org, **overrides):
    body = {"name": "shop-floor", "description": "Reads the floor", "scopes": ["orders:read"]}
    return await client.post(
        "/v1/roles", json={**body, **overrides}, headers=bearer(org.admin_token)
    )


async def test_list_shows_built_ins_read_only_then_custom_roles(client, org):
    created = await create_role(client, org)

    listed = (await client.get("/v1/roles", headers=bearer(org.admin_token))).json()["data"]

    assert created.status_code == 201, created.text
    built_in = [r["name"] for r in listed if r["built_in"]]
    assert built_in == ["admin", "accountant", "sales", "purchasing", "support", "viewer"]
    assert all(r["id"] is None for r in listed if r["built_in"])
    [custom] = [r for r in listed if not r["built_in"]]
    assert (custom["name"], custom["scopes"]) == ("shop-floor", ["orders:read"])


async def test_a_custom_role_gives_its_holders_exactly_its_scopes(client, org):
    await create_role(client, org, scopes=["orders:read", "users:read"])
    user, token = await add_user(client, org, roles=["shop-floor"])

    readable = await client.get("/v1/users", headers=bearer(token))
    writable = await client.post("/v1/users", json=new_user_body(), headers=bearer(token))

    assert readable.status_code == 200
    assert writable.status_code == 403
    assert "users:write" in writable.json()["error"]["message"]
    assert user["roles"] == ["shop-floor"]


async def test_a_role_in_use_cannot_be_deleted_an_unused_one_can(client, org):
    used = (await create_role(client, org, name="used")).json()["data"]
    unused = (await create_role(client, org, name="unused")).json()["data"]
    await add_user(client, org, roles=["used"])
    headers = bearer(org.admin_token)

    blocked = await client.delete(f"/v1/roles/{used['id']}", headers=headers)
    deleted = await client.delete(f"/v1/roles/{unused['id']}", headers=headers)

    assert blocked.status_code == 409
    assert blocked.json()["error"]["code"] == "RESOURCE_CONFLICT"
    assert deleted.status_code == 204
    assert (await client.get(f"/v1/roles/{unused['id']}", headers=headers)).status_code == 404


async def test_renaming_a_role_follows_on_its_holders(client, org):
    role = (await create_role(client, org, name="old-name")).json()["data"]
    user, _ = await add_user(client, org, roles=["old-name", "viewer"])

    renamed = await client.patch(
        f"/v1/roles/{role['id']}", json={"name": "new-name"}, headers=bearer(org.admin_token)
    )
    holder = await client.get(f"/v1/users/{user['id']}", headers=bearer(org.admin_token))

    assert renamed.status_code == 200
    assert holder.json()["data"]["roles"] == ["new-name", "viewer"]


async def test_bad_roles_are_refused_naming_the_field(client, org):
    unknown_scope = await create_role(client, org, scopes=["rockets:launch"])
    built_in_name = await create_role(client, org, name="admin")
    bad_name = await create_role(client, org, name="Has Spaces")
    await create_role(client, org, name="twice")
    twice = await create_role(client, org, name="twice")

    assert unknown_scope.status_code == 422
    assert field_names(unknown_scope) == ["scopes"]
    assert built_in_name.status_code == 409
    assert bad_name.status_code == 422
    assert field_names(bad_name) == ["name"]
    assert twice.status_code == 409


async def test_a_role_cannot_grant_more_than_its_creator_holds(client, org):
    await create_role(client, org, name="role-maker", scopes=["users:read", "users:write"])
    maker, _ = await add_user(client, org, roles=["role-maker"])
    token = await login(client, maker["email"])

    response = await client.post(
        "/v1/roles", json={"name": "sneaky", "scopes": ["invoices:write"]}, headers=bearer(token)
    )

    assert response.status_code == 403
    assert "invoices:write" in response.json()["error"]["message"]


async def test_another_organizations_role_is_not_found(client, org, found_org):
    other = await found_org()
    role = (await create_role(client, org)).json()["data"]
    headers = bearer(other.admin_token)
    assert (await client.get(f"/v1/roles/{role['id']}", headers=headers)).status_code == 404
    assert (await client.delete(f"/v1/roles/{role['id']}", headers=headers)).status_code == 404
    assert (await add_user(client, other, roles=["viewer"]))[0]
    cross = await client.post(
        "/v1/users", json=new_user_body(roles=["shop-floor"]), headers=headers
    )
    assert cross.status_code == 422
