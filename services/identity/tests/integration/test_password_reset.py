import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, text, update

from millbook_identity.models import AuditEntry, PasswordReset
from millbook_platform.db import unit_of_work
from millbook_platform.sealing import SealedTextError, generate_key_pair, open_sealed

from .conftest import INBOX_KEYS, PASSWORD, add_user, events, field_names, login, unique_email

NEW_PASSWORD = "a brand new passphrase"


def reset_token(event: dict) -> str:
    """The token from a reset event, opened as the inbox would with its private key."""
    return open_sealed(event["sealed_token"], INBOX_KEYS.private_key)


async def request_reset(client, email):
    return await client.post("/v1/auth/password-reset", json={"email": email})


async def confirm(client, token, password=NEW_PASSWORD):
    return await client.post(
        "/v1/auth/password-reset/confirm", json={"token": token, "new_password": password}
    )


async def test_the_answer_is_the_same_whether_or_not_the_email_exists(client, org, sessions):
    known = await request_reset(client, org.admin_email)
    unknown = await request_reset(client, unique_email("nobody"))

    assert known.status_code == unknown.status_code == 202
    assert known.json() == unknown.json()
    [event] = await events(sessions, "identity.password_reset.requested", org.admin_id)
    assert event["email"] == org.admin_email
    assert len(reset_token(event)) >= 40


async def test_the_event_carries_the_token_sealed_to_the_inbox_and_never_in_clear(
    client, org, sessions
):
    user, _ = await add_user(client, org)
    await request_reset(client, user["email"])
    [event] = await events(sessions, "identity.password_reset.requested", user["id"])
    token = reset_token(event)
    async with unit_of_work(sessions, org.id) as session:
        [dataschema] = (
            await session.execute(
                text(
                    "SELECT headers->>'ce_dataschema' FROM outbox"
                    " WHERE event_type = 'identity.password_reset.requested' AND key = :key"
                ),
                {"key": user["id"]},
            )
        ).scalars()
        audit_rows = (
            await session.scalars(select(AuditEntry).where(AuditEntry.resource_id == user["id"]))
        ).all()

    assert "token" not in event
    assert {"user_id", "email", "expires_at"} <= event.keys()
    assert token not in json.dumps(event)
    assert dataschema == "millbook:identity.password_reset.requested:v2"
    assert all(token not in json.dumps(row.payload) for row in audit_rows)
    with pytest.raises(SealedTextError):
        open_sealed(event["sealed_token"], generate_key_pair().private_key)


async def test_confirm_sets_the_password_once_and_ends_every_session(client, org, sessions):
    user, _ = await add_user(client, org)
    await login(client, user["email"])
    await request_reset(client, user["email"])
    [event] = await events(sessions, "identity.password_reset.requested", user["id"])

    first = await confirm(client, reset_token(event))
    second = await confirm(client, reset_token(event), "yet another passphrase")

    assert first.status_code == 204, first.text
    assert second.status_code == 422
    assert field_names(second) == ["token"]
    assert await login(client, user["email"], NEW_PASSWORD)
    old = await client.post("/v1/auth/login", json={"email": user["email"], "password": PASSWORD})
    assert old.status_code == 401
    revoked = [
        e for e in await events(sessions, "identity.session.revoked") if e["user_id"] == user["id"]
    ]
    assert len(revoked) == 2
    assert {e["reason"] for e in revoked} == {"password_reset"}


async def test_an_expired_token_is_refused(client, org, sessions):
    user, _ = await add_user(client, org)
    await request_reset(client, user["email"])
    [event] = await events(sessions, "identity.password_reset.requested", user["id"])
    async with unit_of_work(sessions, org.id) as session:
        await session.execute(
            update(PasswordReset)
            .where(PasswordReset.user_id == user["id"])
            .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
    response = await confirm(client, reset_token(event))
    assert response.status_code == 422
    assert field_names(response) == ["token"]


async def test_the_new_password_must_pass_the_policy(client, org, sessions):
    user, _ = await add_user(client, org)
    await request_reset(client, user["email"])
    [event] = await events(sessions, "identity.password_reset.requested", user["id"])
    response = await confirm(client, reset_token(event), "qwertyuiop")
    assert response.status_code == 422
    assert field_names(response) == ["new_password"]


async def test_malformed_requests_name_the_field(client):
    bad_email = await client.post("/v1/auth/password-reset", json={"email": "not-an-email"})
    missing = await client.post("/v1/auth/password-reset/confirm", json={"token": "x"})
    assert bad_email.status_code == missing.status_code == 422
    assert field_names(bad_email) == ["email"]
    assert field_names(missing) == ["new_password"]
