import asyncio
import hashlib

import pytest
from sqlalchemy import func, select, update

from millbook_identity.auth.service import current_signing_key
from millbook_identity.bootstrap import build_app
from millbook_identity.config import Settings
from millbook_identity.models import SigningKey, User, UserSession
from millbook_platform.auth import JwksVerifier
from millbook_platform.db import create_engine, session_factory, unit_of_work

from .conftest import PASSWORD, VAULT, bearer, unique_email


async def test_login_returns_tokens_that_verify_against_the_served_jwks(client, org):
    response = await client.post(
        "/v1/auth/login", json={"email": org.admin_email.upper(), "password": PASSWORD}
    )

    assert response.status_code == 200
    body = response.json()["data"]
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 900
    assert body["user"]["id"] == str(org.admin_id)
    assert "password_hash" not in body["user"]

    async def served_jwks():
        return (await client.get("/.well-known/jwks.json")).json()

    principal = await JwksVerifier(served_jwks).verify(body["access_token"])
    assert principal.subject_id == org.admin_id
    assert principal.tenant_id == org.id
    assert principal.scopes == {"admin"}
    assert principal.session_id is not None


async def test_login_opens_a_session_storing_only_the_refresh_token_digest(client, org, sessions):
    response = await client.post(
        "/v1/auth/login", json={"email": org.admin_email, "password": PASSWORD}
    )
    refresh = response.json()["data"]["refresh_token"]
    digest = hashlib.sha256(refresh.encode()).hexdigest()

    async with unit_of_work(sessions, org.id) as session:
        row = await session.scalar(
            select(UserSession).where(UserSession.refresh_token_hash == digest)
        )
        user = await session.get(User, org.admin_id)
    assert row is not None
    assert row.user_id == org.admin_id
    assert row.tenant_id == org.id
    assert (row.expires_at - row.created_at).total_seconds() == 86_400
    assert user is not None
    assert user.last_login_at is not None


async def test_wrong_password_is_auth_invalid_with_the_error_envelope(client, org):
    response = await client.post(
        "/v1/auth/login", json={"email": org.admin_email, "password": "not the password"}
    )

    assert response.status_code == 401
    error = response.json()["error"]
    assert error["code"] == "AUTH_INVALID"
    assert error["request_id"].startswith("req_")
    assert error["request_id"] == response.headers["x-request-id"]


async def test_unknown_email_reads_exactly_like_a_wrong_password(client, org):
    wrong = await client.post(
        "/v1/auth/login", json={"email": org.admin_email, "password": "not the password"}
    )
    unknown = await client.post(
        "/v1/auth/login", json={"email": unique_email("nobody"), "password": PASSWORD}
    )

    assert unknown.status_code == wrong.status_code == 401
    assert unknown.json()["error"]["message"] == wrong.json()["error"]["message"]


async def test_inactive_user_cannot_log_in(client, org, sessions):
    async with unit_of_work(sessions, org.id) as session:
        await session.execute(update(User).where(User.id == org.admin_id).values(status="inactive"))

    response = await client.post(
        "/v1/auth/login", json={"email": org.admin_email, "password": PASSWORD}
    )

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "AUTH_INVALID"


async def test_malformed_json_is_a_malformed_request(client):
    response = await client.post(
        "/v1/auth/login",
        content=b'{"email": "a@example.com", "password": ',
        headers={"Content-Type": "application/json"},
    )

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "MALFORMED_REQUEST"
    assert any("JSON" in d["message"] for d in error["details"])


async def test_email_in_two_organizations_needs_organization_id(client, found_org):
    email = unique_email("twice")
    first = await found_org(email)
    second = await found_org(email)

    ambiguous = await client.post("/v1/auth/login", json={"email": email, "password": PASSWORD})
    chosen = await client.post(
        "/v1/auth/login",
        json={"email": email, "password": PASSWORD, "organization_id": str(second.id)},
    )

    assert ambiguous.status_code == 422
    assert [d["field"] for d in ambiguous.json()["error"]["details"]] == ["organization_id"]
    assert chosen.status_code == 200
    assert chosen.json()["data"]["user"]["organization_id"] == str(second.id)
    assert first.id != second.id


async def test_jwks_serves_public_keys_only_and_leaves_retired_keys_out(client, org, sessions):
    async with unit_of_work(sessions) as session:
        retired = await current_signing_key(session, VAULT)
        session.add(
            SigningKey(
                kid="retired-" + retired.kid,
                private_key_pem=VAULT.seal(retired),
                public_jwk={**retired.public_jwk, "kid": "retired-" + retired.kid},
                retired_at=func.now(),
            )
        )

    response = await client.get("/.well-known/jwks.json")

    assert response.status_code == 200
    keys = response.json()["keys"]
    assert keys
    assert all(k["kty"] == "OKP" and k["crv"] == "Ed25519" and k["alg"] == "EdDSA" for k in keys)
    assert all("d" not in k for k in keys)
    assert not any(k["kid"].startswith("retired-") for k in keys)


async def test_jwks_needs_no_authentication_and_the_token_it_verifies_works(client, org):
    assert (await client.get("/.well-known/jwks.json")).status_code == 200
    me = await client.get("/v1/users/me", headers=bearer(org.admin_token))
    assert me.status_code == 200


async def test_concurrent_first_logins_create_one_signing_key(infra):
    engine = create_engine(infra.migrated_database("identity"), pool_size=8)
    sessions = session_factory(engine)

    async def first_need():
        async with unit_of_work(sessions) as session:
            return (await current_signing_key(session, VAULT)).kid

    try:
        kids = await asyncio.gather(*(first_need() for _ in range(6)))
        async with unit_of_work(sessions) as session:
            stored = (await session.scalars(select(SigningKey.kid))).all()
    finally:
        await engine.dispose()

    assert len(set(kids)) == 1
    assert stored == [kids[0]]


@pytest.mark.parametrize("path", ["/v1/users/me", "/v1/users"])
async def test_endpoints_refuse_requests_without_a_token(client, path):
    response = await client.get(path)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "AUTH_REQUIRED"


def test_app_builds_an_accurate_openapi_document(settings: Settings):
    schema = build_app(settings).openapi()
    login_op = schema["paths"]["/v1/auth/login"]["post"]
    assert login_op["description"]
    assert "password_hash" not in str(schema["components"]["schemas"])
    assert {"/v1/users", "/v1/users/me", "/v1/users/{user_id}", "/.well-known/jwks.json"} <= set(
        schema["paths"]
    )
