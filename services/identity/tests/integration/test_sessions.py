import hashlib
import uuid

import jwt
from sqlalchemy import select

from millbook_identity.bootstrap import build_app
from millbook_identity.config import Settings
from millbook_identity.demo import seed
from millbook_identity.models import AuditEntry, UserSession
from millbook_platform.auth import JwksVerifier
from millbook_platform.db import unit_of_work
from millbook_testing.apps import in_process

from .conftest import (
    INBOX_KEYS,
    PASSWORD,
    SIGNING_KEY_PASSPHRASE,
    add_user,
    bearer,
    events,
    field_names,
)


async def log_in(client, email, **extra):
    response = await client.post(
        "/v1/auth/login", json={"email": email, "password": PASSWORD, **extra}
    )
    assert response.status_code == 200, response.text
    return response.json()["data"]


async def refresh(client, token):
    return await client.post("/v1/auth/refresh", json={"refresh_token": token})


async def stored_session(sessions, org_id, refresh_token):
    digest = hashlib.sha256(refresh_token.encode()).hexdigest()
    async with unit_of_work(sessions, org_id) as session:
        return await session.scalar(
            select(UserSession).where(UserSession.refresh_token_hash == digest)
        )


async def audit_actions(sessions, org_id):
    async with unit_of_work(sessions, org_id) as session:
        rows = await session.scalars(
            select(AuditEntry.action).where(AuditEntry.tenant_id == org_id)
        )
        return list(rows)


async def test_remember_me_keeps_the_refresh_token_thirty_days(client, org, sessions):
    tokens = await log_in(client, org.admin_email, remember_me=True)
    row = await stored_session(sessions, org.id, tokens["refresh_token"])
    assert (row.expires_at - row.created_at).days == 30


async def test_refresh_rotates_and_returns_the_login_shape(client, org, sessions):
    first = await log_in(client, org.admin_email)

    response = await refresh(client, first["refresh_token"])

    assert response.status_code == 200, response.text
    second = response.json()["data"]
    assert set(second) == set(first)
    assert second["refresh_token"] != first["refresh_token"]
    assert second["user"]["id"] == str(org.admin_id)
    old = await stored_session(sessions, org.id, first["refresh_token"])
    new = await stored_session(sessions, org.id, second["refresh_token"])
    assert old.used_at is not None
    assert new.family_id == old.family_id == old.id
    me = await client.get("/v1/users/me", headers=bearer(second["access_token"]))
    assert me.status_code == 200


async def test_reusing_a_refresh_token_revokes_the_whole_family(client, org, sessions):
    first = await log_in(client, org.admin_email)
    second = (await refresh(client, first["refresh_token"])).json()["data"]
    third = (await refresh(client, second["refresh_token"])).json()["data"]

    reuse = await refresh(client, first["refresh_token"])
    after = await refresh(client, third["refresh_token"])

    assert reuse.status_code == 401
    assert reuse.json()["error"]["code"] == "AUTH_INVALID"
    assert after.status_code == 401
    family = (await stored_session(sessions, org.id, first["refresh_token"])).family_id
    revoked = [
        e
        for e in await events(sessions, "identity.session.revoked")
        if e["user_id"] == str(org.admin_id)
    ]
    async with unit_of_work(sessions, org.id) as session:
        members = (
            await session.scalars(select(UserSession).where(UserSession.family_id == family))
        ).all()
    assert len(members) == 3
    assert all(m.revoked_at is not None for m in members)
    assert {e["session_id"] for e in revoked} == {str(m.id) for m in members}
    assert {e["reason"] for e in revoked} == {"refresh_token_reuse"}
    assert "identity.auth.refresh_token_reuse_detected" in await audit_actions(sessions, org.id)


async def test_unknown_refresh_token_is_auth_invalid_and_empty_is_a_validation_error(client):
    assert (await refresh(client, "nonsense")).status_code == 401
    empty = await client.post("/v1/auth/refresh", json={})
    assert empty.status_code == 422
    assert field_names(empty) == ["refresh_token"]


async def test_logout_revokes_the_session_and_its_refresh_token(client, org, sessions):
    tokens = await log_in(client, org.admin_email)

    response = await client.post("/v1/auth/logout", headers=bearer(tokens["access_token"]))

    assert response.status_code == 204
    assert (await refresh(client, tokens["refresh_token"])).status_code == 401
    row = await stored_session(sessions, org.id, tokens["refresh_token"])
    [event] = await events(sessions, "identity.session.revoked", row.id)
    assert event["reason"] == "logout"
    assert "identity.auth.logout" in await audit_actions(sessions, org.id)


async def test_verify_tells_active_from_revoked_and_forged_tokens(client, org):
    tokens = await log_in(client, org.admin_email)
    headers = bearer(org.admin_token)

    active = await client.post(
        "/v1/auth/verify", json={"token": tokens["access_token"]}, headers=headers
    )
    await client.post("/v1/auth/logout", headers=bearer(tokens["access_token"]))
    revoked = await client.post(
        "/v1/auth/verify", json={"token": tokens["access_token"]}, headers=headers
    )
    forged = await client.post(
        "/v1/auth/verify", json={"token": tokens["access_token"][:-4] + "AAAA"}, headers=headers
    )

    assert active.json()["data"]["active"] is True
    claims = active.json()["data"]["claims"]
    assert (claims["typ"], claims["kind"], claims["tier"]) == ("access", "user", "standard")
    assert claims["tid"] == str(org.id)
    assert claims["sid"]
    assert revoked.json()["data"] == {"active": False, "claims": {}}
    assert forged.json()["data"]["active"] is False


async def test_five_failures_lock_the_account_with_retry_after(client, found_org, sessions):
    org = await found_org()
    wrong = {"email": org.admin_email, "password": "definitely not it"}

    failures = [await client.post("/v1/auth/login", json=wrong) for _ in range(5)]
    locked = await client.post("/v1/auth/login", json={**wrong, "password": PASSWORD})

    assert [f.status_code for f in failures] == [401] * 5
    assert locked.status_code == 429
    assert locked.json()["error"]["code"] == "RATE_LIMIT_EXCEEDED"
    assert 850 <= int(locked.headers["retry-after"]) <= 900
    actions = await audit_actions(sessions, org.id)
    assert actions.count("identity.auth.login_failed") == 5
    assert actions.count("identity.auth.account_locked") == 1


async def test_a_success_clears_earlier_failures(client, found_org):
    org = await found_org()
    wrong = {"email": org.admin_email, "password": "definitely not it"}
    for _ in range(4):
        await client.post("/v1/auth/login", json=wrong)
    await log_in(client, org.admin_email)
    for _ in range(4):
        await client.post("/v1/auth/login", json=wrong)
    assert (
        await client.post("/v1/auth/login", json={**wrong, "password": PASSWORD})
    ).status_code == 200


async def test_a_login_is_audited(client, org, sessions):
    assert "identity.auth.login_succeeded" in await audit_actions(sessions, org.id)


async def test_a_deactivated_users_sessions_end_and_they_cannot_log_in(client, org, sessions):
    user, token = await add_user(client, org, roles=["viewer"])
    tokens = await log_in(client, user["email"])

    deleted = await client.delete(f"/v1/users/{user['id']}", headers=bearer(org.admin_token))

    assert deleted.status_code == 204
    assert (await refresh(client, tokens["refresh_token"])).status_code == 401
    relogin = await client.post(
        "/v1/auth/login", json={"email": user["email"], "password": PASSWORD}
    )
    assert relogin.status_code == 401
    revoked = [
        e for e in await events(sessions, "identity.session.revoked") if e["user_id"] == user["id"]
    ]
    assert len(revoked) == 2
    assert {e["reason"] for e in revoked} == {"user_deactivated"}
    assert token


async def test_signing_keys_rotate_and_the_old_key_keeps_verifying(infra):
    settings = Settings(
        database_url=infra.migrated_database("identity"),
        kafka_bootstrap_servers=infra.kafka_bootstrap,
        run_background=False,
        db_pool_size=2,
        signing_key_passphrase=SIGNING_KEY_PASSPHRASE,
        inbox_seal_public_key=INBOX_KEYS.public_key,
    )
    email = f"root-{uuid.uuid4().hex[:8]}@example.com"
    await seed(settings, email, PASSWORD, "Operator", platform_admin=True)
    app = build_app(settings)
    async with in_process(app) as http:
        before = await log_in(http, email)
        rotated = await http.post("/v1/auth/keys/rotate", headers=bearer(before["access_token"]))
        after = await log_in(http, email)
        jwks = (await http.get("/.well-known/jwks.json")).json()

    assert rotated.status_code == 200, rotated.text
    body = rotated.json()["data"]
    assert jwks["keys"][0]["kid"] == body["kid"]
    assert {k["kid"] for k in body["retiring"]} <= {k["kid"] for k in jwks["keys"]}
    assert len(jwks["keys"]) == 2

    async def served():
        return jwks

    verifier = JwksVerifier(served)
    assert (await verifier.verify(before["access_token"])).kind == "user"
    assert (await verifier.verify(after["access_token"])).kind == "user"
    assert jwt.get_unverified_header(after["access_token"])["kid"] == body["kid"]
    assert jwt.get_unverified_header(before["access_token"])["kid"] != body["kid"]


async def test_an_organization_admin_cannot_rotate_signing_keys(client, org):
    response = await client.post("/v1/auth/keys/rotate", headers=bearer(org.admin_token))
    assert response.status_code == 403
    assert "platform:admin" in response.json()["error"]["message"]
