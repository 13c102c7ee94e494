"""Bad input and bad credentials through the gateway: the envelope, the code, nothing written."""

import time
import uuid

import psycopg
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import load_pem_private_key

from millbook_stack import api
from millbook_stack.services import signing_key_passphrase_file
from millbook_testing.tokens import access_claims, sign

from .test_walking_skeleton import new_user

pytestmark = pytest.mark.e2e


def identity_signing_key(stack) -> tuple[str, object]:
    """The live signing key, read from identity's database and decrypted with the stack's
    passphrase, to forge near-valid tokens."""
    dsn = api.database_url(stack.profile, "identity").replace("+psycopg", "")
    with psycopg.connect(dsn) as conn:
        kid, pem = conn.execute(
            "SELECT kid, private_key_pem FROM signing_keys WHERE retired_at IS NULL "
            "ORDER BY created_at DESC LIMIT 1"
        ).fetchone()
    passphrase = signing_key_passphrase_file(stack.profile).read_text().strip()
    return kid, load_pem_private_key(pem.encode(), password=passphrase.encode())


def token(key, kid: str, **overrides) -> str:
    return sign(access_claims(**overrides), key, kid)


async def users_total(gateway, admin) -> int:
    response = await gateway.get("/v1/users", headers=admin.headers)
    assert response.status_code == 200, response.text
    return response.json()["meta"]["total"]


def assert_envelope(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code
    assert error["request_id"] == response.headers["x-request-id"]
    return error


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**new_user(), "tenant_id": str(uuid.uuid4())}, "tenant_id"),
        ({**new_user(), "first_name": 12}, "first_name"),
        ({**new_user(), "email": "not-an-email"}, "email"),
        ({**new_user(), "roles": ["overlord"]}, "roles"),
        ({**new_user(), "password": "short"}, "password"),
    ],
)
async def test_invalid_user_bodies_name_the_field_and_write_nothing(gateway, admin, body, field):
    before = await users_total(gateway, admin)
    response = await gateway.post("/v1/users", json=body, headers=admin.headers)
    error = assert_envelope(response, 422, "VALIDATION_ERROR")
    assert any(field in detail["field"] for detail in error["details"]), error
    assert await users_total(gateway, admin) == before


async def test_malformed_json_is_400_malformed_request(gateway, admin):
    response = await gateway.post(
        "/v1/users",
        content=b'{"email": ',
        headers={**admin.headers, "content-type": "application/json"},
    )
    assert_envelope(response, 400, "MALFORMED_REQUEST")


async def test_an_oversized_body_is_refused_at_the_gateway(gateway, admin):
    before = await users_total(gateway, admin)
    response = await gateway.post(
        "/v1/users",
        content=b"x" * (10 * 1024 * 1024 + 1),
        headers={**admin.headers, "content-type": "application/json"},
    )
    assert_envelope(response, 413, "PAYLOAD_TOO_LARGE")
    assert await users_total(gateway, admin) == before


async def test_no_credential_is_auth_required(gateway):
    assert_envelope(await gateway.get("/v1/users/me"), 401, "AUTH_REQUIRED")


async def test_a_token_signed_by_another_key_is_auth_invalid(gateway, stack):
    kid, _ = identity_signing_key(stack)
    forged = token(Ed25519PrivateKey.generate(), kid)
    response = await gateway.get("/v1/users/me", headers={"Authorization": f"Bearer {forged}"})
    assert_envelope(response, 401, "AUTH_INVALID")


async def test_an_expired_token_is_auth_expired(gateway, stack, admin):
    kid, key = identity_signing_key(stack)
    expired = token(
        key, kid, tid=admin.organization_id, iat=int(time.time()) - 3600, exp=int(time.time()) - 60
    )
    response = await gateway.get("/v1/users/me", headers={"Authorization": f"Bearer {expired}"})
    assert_envelope(response, 401, "AUTH_EXPIRED")


async def test_a_token_without_a_tenant_is_auth_invalid(gateway, stack):
    kid, key = identity_signing_key(stack)
    tenantless = token(key, kid, tid=None)
    response = await gateway.get("/v1/users/me", headers={"Authorization": f"Bearer {tenantless}"})
    assert_envelope(response, 401, "AUTH_INVALID")


async def test_a_wrong_password_is_auth_invalid_without_saying_which_part(gateway, admin):
    wrong = await gateway.post(
        "/v1/auth/login", json={"email": admin.email, "password": "not the password"}
    )
    unknown = await gateway.post(
        "/v1/auth/login", json={"email": "nobody@e2e.example.com", "password": "x" * 12}
    )
    assert (
        assert_envelope(wrong, 401, "AUTH_INVALID")["message"]
        == assert_envelope(unknown, 401, "AUTH_INVALID")["message"]
    )


async def test_an_unknown_route_is_not_found(gateway, admin):
    assert_envelope(
        await gateway.get("/v1/nothing-here", headers=admin.headers), 404, "RESOURCE_NOT_FOUND"
    )
