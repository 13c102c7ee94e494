import uuid

import pytest_asyncio

from millbook_identity.bootstrap import build_app
from millbook_identity.demo import seed
from millbook_testing.apps import in_process

from .conftest import PASSWORD, add_user, bearer, events, field_names, login, unique_email


@pytest_asyncio.fixture
async def platform_admin(client, settings):
    email = unique_email("root")
    await seed(settings, email, PASSWORD, "Operator Inc", platform_admin=True)
    return await login(client, email)


def new_org(**overrides):
    body = {
        "name": "Acme Milling",
        "base_currency": "EUR",
        "timezone": "Europe/Berlin",
        "plan_tier": "professional",
        "admin": {"email": unique_email("acme"), "password": PASSWORD},
    }
    return {**body, **overrides}


async def test_platform_admin_creates_lists_and_reads_organizations(client, platform_admin):
    created = await client.post("/v1/organizations", json=new_org(), headers=bearer(platform_admin))

    assert created.status_code == 201, created.text
    org = created.json()["data"]
    assert (org["plan_tier"], org["base_currency"], org["status"]) == (
        "professional",
        "EUR",
        "active",
    )
    assert org["sandbox_tenant_id"] != org["id"]
    listed = await client.get(
        "/v1/organizations", params={"limit": 100}, headers=bearer(platform_admin)
    )
    assert org["id"] in {o["id"] for o in listed.json()["data"]}
    got = await client.get(f"/v1/organizations/{org['id']}", headers=bearer(platform_admin))
    assert got.json()["data"]["name"] == "Acme Milling"


async def test_an_organization_admin_is_not_a_platform_admin(client, org, found_org):
    other = await found_org()
    headers = bearer(org.admin_token)
    listed = await client.get("/v1/organizations", headers=headers)
    created = await client.post("/v1/organizations", json=new_org(), headers=headers)
    foreign = await client.get(f"/v1/organizations/{other.id}", headers=headers)
    own = await client.get(f"/v1/organizations/{org.id}", headers=headers)

    assert listed.status_code == created.status_code == 403
    assert "platform:admin" in listed.json()["error"]["message"]
    assert foreign.status_code == 404
    assert own.status_code == 200


async def test_an_org_admin_patches_its_own_settings_but_not_its_tier(client, org, sessions):
    headers = bearer(org.admin_token)
    patched = await client.patch(
        f"/v1/organizations/{org.id}",
        json={"name": "Renamed Shop", "timezone": "America/Chicago"},
        headers=headers,
    )
    tier = await client.patch(
        f"/v1/organizations/{org.id}", json={"plan_tier": "enterprise"}, headers=headers
    )

    assert patched.status_code == 200, patched.text
    assert patched.json()["data"]["timezone"] == "America/Chicago"
    assert tier.status_code == 403
    assert "platform:admin" in tier.json()["error"]["message"]
    [event] = await events(sessions, "identity.organization.updated", org.id)
    assert event["changed"] == ["name", "timezone"]


async def test_bad_settings_name_their_fields(client, org):
    response = await client.patch(
        f"/v1/organizations/{org.id}",
        json={"base_currency": "euro", "timezone": "Mars/Olympus"},
        headers=bearer(org.admin_token),
    )
    assert response.status_code == 422
    assert set(field_names(response)) >= {"base_currency", "timezone"}


async def test_a_non_admin_member_cannot_patch_the_organization(client, org):
    _, viewer = await add_user(client, org, roles=["viewer"])
    response = await client.patch(
        f"/v1/organizations/{org.id}", json={"name": "Mine now"}, headers=bearer(viewer)
    )
    assert response.status_code == 403


async def test_platform_admin_changes_the_tier_and_tokens_carry_it(client, org, platform_admin):
    response = await client.put(
        f"/v1/organizations/{org.id}",
        json={
            "name": "Test Shop",
            "base_currency": "USD",
            "timezone": "UTC",
            "plan_tier": "enterprise",
            "audit_retention_days": 30,
        },
        headers=bearer(platform_admin),
    )
    token = await login(client, org.admin_email)
    verified = await client.post("/v1/auth/verify", json={"token": token}, headers=bearer(token))

    assert response.status_code == 200, response.text
    assert response.json()["data"]["audit_retention_days"] == 30
    assert verified.json()["data"]["claims"]["tier"] == "enterprise"


async def test_deleting_an_organization_stops_its_logins(client, found_org, platform_admin):
    doomed = await found_org()
    deleted = await client.delete(f"/v1/organizations/{doomed.id}", headers=bearer(platform_admin))
    relogin = await client.post(
        "/v1/auth/login", json={"email": doomed.admin_email, "password": PASSWORD}
    )
    assert deleted.status_code == 204
    assert relogin.status_code == 401


async def test_signup_creates_an_organization_and_logs_its_admin_in(client, sessions):
    email = unique_email("founder")
    response = await client.post(
        "/v1/auth/signup",
        json={"organization_name": "Fresh Shop", "email": email, "password": PASSWORD},
    )

    assert response.status_code == 201, response.text
    data = response.json()["data"]
    assert data["user"]["roles"] == ["admin"]
    assert data["refresh_token"]
    me = await client.get("/v1/users/me", headers=bearer(data["access_token"]))
    assert me.json()["data"]["email"] == email
    org_id = data["user"]["organization_id"]
    assert len(await events(sessions, "identity.organization.created", org_id)) == 1


async def test_signup_validates_its_input(client):
    response = await client.post(
        "/v1/auth/signup", json={"organization_name": "", "email": "nope", "password": "short"}
    )
    assert response.status_code == 422
    assert set(field_names(response)) >= {"organization_name", "email"}


async def test_signup_can_be_turned_off(settings):
    app = build_app(settings.model_copy(update={"public_signup": False}))
    async with in_process(app) as http:
        response = await http.post(
            "/v1/auth/signup",
            json={
                "organization_name": "Nope",
                "email": f"x-{uuid.uuid4().hex[:6]}@example.com",
                "password": PASSWORD,
            },
        )
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "PERMISSION_DENIED"
    assert "signup" in response.json()["error"]["message"].lower()
