import json
import uuid

from sqlalchemy import select

from millbook_platform.db import unit_of_work
from millbook_platform.tables import OutboxRow

from .conftest import PASSWORD, bearer, login, unique_email


def new_user(**overrides):
    body = {
        "email": unique_email(),
        "password": PASSWORD,
        "first_name": "Grace",
        "last_name": "Hopper",
        "roles": ["sales"],
    }
    return {**body, **overrides}


async def create(client, org, body):
    return await client.post("/v1/users", json=body, headers=bearer(org.admin_token))


async def outbox_rows(sessions, event_type, subject):
    async with unit_of_work(sessions) as session:
        statement = select(OutboxRow).where(
            OutboxRow.event_type == event_type, OutboxRow.key == subject
        )
        return (await session.scalars(statement)).all()


async def test_me_is_the_token_owner_without_secrets(client, org):
    response = await client.get("/v1/users/me", headers=bearer(org.admin_token))

    assert response.status_code == 200
    me = response.json()["data"]
    assert me["id"] == str(org.admin_id)
    assert me["organization_id"] == str(org.id)
    assert me["email"] == org.admin_email
    assert me["roles"] == ["admin"]
    assert "password_hash" not in me
    assert "password" not in me


async def test_create_user_returns_201_and_records_user_created(client, org, sessions):
    body = new_user(email="Grace." + unique_email())

    response = await create(client, org, body)

    assert response.status_code == 201, response.text
    user = response.json()["data"]
    assert user["email"] == body["email"].lower()
    assert user["organization_id"] == str(org.id)
    assert (user["roles"], user["status"]) == (["sales"], "active")
    assert "password_hash" not in user
    [row] = await outbox_rows(sessions, "identity.user.created", user["id"])
    assert row.topic == "identity.user"
    assert row.tenant_id == org.id
    assert row.headers["ce_tenantid"] == str(org.id)
    payload = json.loads(row.payload)
    assert payload["user_id"] == user["id"]
    assert payload["organization_id"] == str(org.id)
    assert payload["email"] == user["email"]
    assert payload["roles"] == ["sales"]
    assert PASSWORD not in row.payload.decode()


async def test_founding_an_organization_records_organization_created(org, sessions):
    [row] = await outbox_rows(sessions, "identity.organization.created", str(org.id))
    assert row.tenant_id == org.id
    assert json.loads(row.payload)["organization_id"] == str(org.id)
    [admin_row] = await outbox_rows(sessions, "identity.user.created", str(org.admin_id))
    assert admin_row.tenant_id == org.id


async def test_created_user_logs_in_with_the_scopes_of_their_role(client, org):
    body = new_user(roles=["viewer"])
    await create(client, org, body)

    token = await login(client, body["email"])
    me = await client.get("/v1/users/me", headers=bearer(token))

    assert me.json()["data"]["email"] == body["email"]


async def test_roles_default_to_viewer(client, org):
    body = new_user()
    del body["roles"]

    response = await create(client, org, body)

    assert response.json()["data"]["roles"] == ["viewer"]


async def test_unknown_field_is_refused_naming_it(client, org):
    response = await create(client, org, new_user(is_superuser=True))

    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    assert [d["field"] for d in error["details"]] == ["is_superuser"]


async def test_organization_in_the_body_is_refused_not_obeyed(client, org, found_org):
    other = await found_org()
    response = await create(client, org, new_user(organization_id=str(other.id)))
    assert response.status_code == 422


async def test_unknown_role_is_refused_naming_the_field(client, org):
    response = await create(client, org, new_user(roles=["viewer", "superuser"]))

    assert response.status_code == 422
    assert response.json()["error"]["details"] == [
        {"field": "roles", "message": "unknown role 'superuser'"}
    ]


async def test_weak_password_is_refused_naming_the_field(client, org):
    email = unique_email()
    response = await create(client, org, new_user(email=email, password=email))

    assert response.status_code == 422
    assert [d["field"] for d in response.json()["error"]["details"]] == ["password"]


async def test_duplicate_email_in_another_case_is_a_conflict(client, org, sessions):
    body = new_user()
    assert (await create(client, org, body)).status_code == 201

    again = await create(client, org, new_user(email=body["email"].upper()))

    assert again.status_code == 409
    assert again.json()["error"]["code"] == "RESOURCE_CONFLICT"


async def test_same_email_may_exist_in_two_organizations(client, org, found_org):
    other = await found_org()
    body = new_user()

    assert (await create(client, org, body)).status_code == 201
    assert (await create(client, other, body)).status_code == 201


async def test_user_without_users_write_is_denied_naming_the_scope(client, org):
    viewer = new_user(roles=["viewer"])
    await create(client, org, viewer)
    token = await login(client, viewer["email"])

    response = await client.post("/v1/users", json=new_user(), headers=bearer(token))

    assert response.status_code == 403
    error = response.json()["error"]
    assert error["code"] == "PERMISSION_DENIED"
    assert "users:write" in error["message"]


async def test_another_organizations_user_is_not_found(client, org, found_org):
    other = await found_org()

    response = await client.get(f"/v1/users/{org.admin_id}", headers=bearer(other.admin_token))
    own = await client.get(f"/v1/users/{org.admin_id}", headers=bearer(org.admin_token))

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "RESOURCE_NOT_FOUND"
    assert own.status_code == 200


async def test_list_shows_only_the_callers_organization_with_totals(client, org, found_org):
    other = await found_org()
    for first_name in ("Linus", "Margaret"):
        await create(client, org, new_user(first_name=first_name))
    await create(client, other, new_user(first_name="Linus"))

    response = await client.get("/v1/users", headers=bearer(org.admin_token))

    body = response.json()
    assert response.status_code == 200
    assert body["meta"]["total"] == 3
    assert {u["organization_id"] for u in body["data"]} == {str(org.id)}


async def test_list_searches_by_name_or_email_and_filters_by_status(client, org):
    await create(client, org, new_user(first_name="Katherine", last_name="Johnson"))
    await create(client, org, new_user(first_name="Dorothy", last_name="Vaughan"))
    headers = bearer(org.admin_token)

    by_name = await client.get("/v1/users", params={"search": "katherine jo"}, headers=headers)
    by_email = await client.get("/v1/users", params={"search": org.admin_email}, headers=headers)
    inactive = await client.get("/v1/users", params={"status": "inactive"}, headers=headers)
    bad_status = await client.get("/v1/users", params={"status": "gone"}, headers=headers)

    assert [u["last_name"] for u in by_name.json()["data"]] == ["Johnson"]
    assert [u["id"] for u in by_email.json()["data"]] == [str(org.admin_id)]
    assert inactive.json()["data"] == []
    assert bad_status.status_code == 422


async def test_list_pages_by_offset_and_by_cursor_without_overlap(client, org):
    for _ in range(4):
        await create(client, org, new_user())
    headers = bearer(org.admin_token)

    first = (await client.get("/v1/users", params={"limit": 2}, headers=headers)).json()
    second = (
        await client.get(
            "/v1/users",
            params={"limit": 2, "cursor": first["meta"]["next_cursor"]},
            headers=headers,
        )
    ).json()
    offset = (
        await client.get("/v1/users", params={"limit": 2, "offset": 2}, headers=headers)
    ).json()

    assert first["meta"]["total"] == 5
    assert len(first["data"]) == len(second["data"]) == 2
    first_ids = {u["id"] for u in first["data"]}
    assert first_ids.isdisjoint(u["id"] for u in second["data"])
    assert [u["id"] for u in second["data"]] == [u["id"] for u in offset["data"]]


async def test_unknown_user_id_is_not_found(client, org):
    response = await client.get(f"/v1/users/{uuid.uuid4()}", headers=bearer(org.admin_token))
    assert response.status_code == 404


async def test_idempotency_key_creates_the_user_once(client, org):
    body = new_user()
    headers = {**bearer(org.admin_token), "Idempotency-Key": str(uuid.uuid4())}

    first = await client.post("/v1/users", json=body, headers=headers)
    second = await client.post("/v1/users", json=body, headers=headers)

    assert first.status_code == second.status_code == 201
    assert first.json()["data"]["id"] == second.json()["data"]["id"]
