"""Authorization before validation: a caller who may not act learns nothing of a body's rules.

FastAPI validates the body before the handler runs; a check inside the handler would
answer a stranger's bad body with a 422 that spells out the schema. The scope and the
resource are resolved first, so the answer is 403 or 404 whatever was sent.
"""

import uuid

import pytest
import pytest_asyncio

from millbook_identity.demo import seed

from .conftest import PASSWORD, add_user, bearer, login, unique_email

BAD_BODIES = {
    "invalid": {"json": {"name": "", "base_currency": "euro", "plan_tier": 7, "extra": True}},
    "malformed": {"content": b'{"name": ', "headers": {"Content-Type": "application/json"}},
}


@pytest_asyncio.fixture
async def platform_admin(client, settings):
    email = unique_email("root")
    await seed(settings, email, PASSWORD, "Operator Inc", platform_admin=True)
    return await login(client, email)


async def send(client, method: str, path: str, token: str, bad: str):
    body = BAD_BODIES[bad]
    headers = {**bearer(token), **body.get("headers", {})}
    return await client.request(
        method, path, headers=headers, **{k: v for k, v in body.items() if k != "headers"}
    )


@pytest.mark.parametrize("bad", sorted(BAD_BODIES))
@pytest.mark.parametrize("method", ["PUT", "PATCH"])
async def test_another_organization_is_not_found_whatever_the_body(
    client, org, found_org, platform_admin, method, bad
):
    other = await found_org()
    # An org admin may PATCH only their own; PUT needs platform:admin (below).
    if method == "PATCH":
        response = await send(client, method, f"/v1/organizations/{other.id}", org.admin_token, bad)
    else:
        response = await send(
            client, method, f"/v1/organizations/{uuid.uuid4()}", platform_admin, bad
        )

    assert response.status_code == 404, response.text
    assert response.json()["error"]["code"] == "RESOURCE_NOT_FOUND"


@pytest.mark.parametrize("bad", sorted(BAD_BODIES))
async def test_a_missing_scope_is_forbidden_whatever_the_body(client, org, found_org, bad):
    other = await found_org()
    for target in (org.id, other.id):
        replaced = await send(client, "PUT", f"/v1/organizations/{target}", org.admin_token, bad)
        assert replaced.status_code == 403, replaced.text
        assert "platform:admin" in replaced.json()["error"]["message"]


@pytest.mark.parametrize("bad", sorted(BAD_BODIES))
async def test_creating_an_organization_without_the_scope_is_forbidden_whatever_the_body(
    client, org, bad
):
    response = await send(client, "POST", "/v1/organizations", org.admin_token, bad)

    assert response.status_code == 403, response.text
    assert "platform:admin" in response.json()["error"]["message"]


@pytest.mark.parametrize("bad", sorted(BAD_BODIES))
async def test_a_member_who_is_not_admin_cannot_patch_whatever_the_body(client, org, bad):
    _, viewer = await add_user(client, org, roles=["viewer"])

    response = await send(client, "PATCH", f"/v1/organizations/{org.id}", viewer, bad)

    assert response.status_code == 403, response.text


@pytest.mark.parametrize("bad", sorted(BAD_BODIES))
async def test_a_scope_declared_with_needs_is_checked_before_the_body(client, org, bad):
    # POST /v1/users declares needs("users:write"): a dependency, resolved before the body.
    _, viewer = await add_user(client, org, roles=["viewer"])

    response = await send(client, "POST", "/v1/users", viewer, bad)

    assert response.status_code == 403, response.text
    assert "users:write" in response.json()["error"]["message"]


async def test_the_admin_still_learns_what_is_wrong_with_a_bad_body(client, org):
    for bad in sorted(BAD_BODIES):
        response = await send(client, "PATCH", f"/v1/organizations/{org.id}", org.admin_token, bad)
        expected = (400, "MALFORMED_REQUEST") if bad == "malformed" else (422, "VALIDATION_ERROR")
        assert (response.status_code, response.json()["error"]["code"]) == expected, response.text
