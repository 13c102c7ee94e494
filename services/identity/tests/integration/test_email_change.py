"""Changing one's login email: the current password, a link to the new address, a notice to
the old one; nothing changes until the link comes back (issue 10, finding 2)."""

import json
from datetime import UTC, datetime, timedelta

import jwt
from sqlalchemy import select, update

from millbook_identity.audit import domain as audit_actions
from millbook_identity.models import AuditEntry, EmailChange
from millbook_platform.db import unit_of_work
from millbook_platform.sealing import open_sealed

from .conftest import (
    INBOX_KEYS,
    PASSWORD,
    add_user,
    bearer,
    events,
    field_names,
    login,
    unique_email,
)

REQUESTED = "identity.user.email_change_requested"
NOTIFIED = "identity.user.email_change_notified"


def mailed_token(event: dict) -> str:
    """The token from the link mailed to the new address, opened as the inbox would."""
    return open_sealed(event["sealed_token"], INBOX_KEYS.private_key)


async def log_in(client, email, password=PASSWORD):
    response = await client.post("/v1/auth/login", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    return response.json()["data"]


async def ask(client, token, new_email, current_password=PASSWORD, **more):
    body = {"email": new_email, **more}
    if current_password is not None:
        body["current_password"] = current_password
    return await client.patch("/v1/users/me", json=body, headers=bearer(token))


async def confirm(client, token, mailed):
    return await client.post(
        "/v1/users/me/email/confirm", json={"token": mailed}, headers=bearer(token)
    )


async def me(client, token) -> dict:
    response = await client.get("/v1/users/me", headers=bearer(token))
    assert response.status_code == 200, response.text
    return response.json()["data"]


async def test_a_new_email_waits_for_the_link_and_the_old_address_still_logs_in(
    client, org, sessions
):
    user, token = await add_user(client, org)
    new_email = unique_email("moved")

    response = await ask(client, token, new_email.upper(), first_name="Renamed")

    assert response.status_code == 202, response.text
    data = response.json()["data"]
    assert (data["email"], data["pending_email"], data["first_name"]) == (
        user["email"],
        new_email,
        "Renamed",
    )
    assert (await me(client, token))["email"] == user["email"]
    assert await login(client, user["email"])
    refused = await client.post("/v1/auth/login", json={"email": new_email, "password": PASSWORD})
    assert refused.status_code == 401
    [updated] = await events(sessions, "identity.user.updated", user["id"])
    assert updated["changed"] == ["first_name"]  # the name at once, the email not yet
    assert updated["email"] == user["email"]


async def test_a_new_email_without_or_with_a_wrong_current_password_is_refused(
    client, org, sessions
):
    user, token = await add_user(client, org)

    without = await ask(client, token, unique_email(), current_password=None)
    wrong = await ask(client, token, unique_email(), current_password="not my password at all")
    put = await client.put(
        "/v1/users/me",
        json={"email": unique_email(), "first_name": "A", "last_name": "B"},
        headers=bearer(token),
    )

    assert [r.status_code for r in (without, wrong, put)] == [422, 422, 422]
    assert field_names(without) == field_names(wrong) == field_names(put) == ["current_password"]
    assert (await me(client, token))["pending_email"] is None
    assert await events(sessions, REQUESTED, user["id"]) == []
    assert await events(sessions, NOTIFIED, user["id"]) == []


async def test_put_with_the_same_email_needs_no_password(client, org):
    user, token = await add_user(client, org)
    response = await client.put(
        "/v1/users/me",
        json={"email": user["email"].upper(), "first_name": "Mary", "last_name": "Jackson"},
        headers=bearer(token),
    )
    assert response.status_code == 200, response.text
    assert response.json()["data"]["last_name"] == "Jackson"
    assert response.json()["data"]["pending_email"] is None


async def test_the_link_goes_sealed_to_the_new_address_and_a_notice_to_the_old_one(
    client, org, sessions
):
    user, token = await add_user(client, org)
    new_email = unique_email("moved")

    await ask(client, token, new_email)

    [requested] = await events(sessions, REQUESTED, user["id"])
    [notice] = await events(sessions, NOTIFIED, user["id"])
    mailed = mailed_token(requested)
    assert requested["new_email"] == new_email
    assert "token" not in requested
    assert mailed not in json.dumps(requested)
    assert datetime.fromisoformat(requested["expires_at"]) - datetime.fromisoformat(
        requested["requested_at"]
    ) == timedelta(hours=24)
    assert (notice["email"], notice["new_email"], notice["stage"]) == (
        user["email"],
        new_email,
        "requested",
    )
    async with unit_of_work(sessions, org.id) as session:
        entries = (
            await session.scalars(select(AuditEntry).where(AuditEntry.resource_id == user["id"]))
        ).all()
    [entry] = [e for e in entries if e.action == audit_actions.EMAIL_CHANGE_REQUESTED]
    assert entry.payload["new_email"] == new_email
    assert all(mailed not in json.dumps(e.payload) for e in entries)


async def test_confirming_changes_the_email_once_tells_the_old_address_and_ends_other_sessions(
    client, org, sessions
):
    user, _ = await add_user(client, org)  # a first login, on a tablet
    laptop = await log_in(client, user["email"])
    phone = await log_in(client, user["email"])
    new_email = unique_email("moved")
    await ask(client, laptop["access_token"], new_email)
    [requested] = await events(sessions, REQUESTED, user["id"])

    first = await confirm(client, laptop["access_token"], mailed_token(requested))
    second = await confirm(client, laptop["access_token"], mailed_token(requested))

    assert first.status_code == 200, first.text
    assert (first.json()["data"]["email"], first.json()["data"]["pending_email"]) == (
        new_email,
        None,
    )
    assert second.status_code == 422
    assert field_names(second) == ["token"]
    assert await login(client, new_email)
    old = await client.post("/v1/auth/login", json={"email": user["email"], "password": PASSWORD})
    assert old.status_code == 401
    refresh = "/v1/auth/refresh"
    gone = await client.post(refresh, json={"refresh_token": phone["refresh_token"]})
    kept = await client.post(refresh, json={"refresh_token": laptop["refresh_token"]})
    assert (gone.status_code, kept.status_code) == (401, 200)
    revoked = [
        e for e in await events(sessions, "identity.session.revoked") if e["user_id"] == user["id"]
    ]
    sid = jwt.decode(laptop["access_token"], options={"verify_signature": False})["sid"]
    assert {e["reason"] for e in revoked} == {"email_changed"}
    assert sid not in {e["session_id"] for e in revoked}
    assert len(revoked) == 2  # the tablet's and the phone's
    [updated] = [
        e
        for e in await events(sessions, "identity.user.updated", user["id"])
        if "email" in e["changed"]
    ]
    assert updated["email"] == new_email
    stages = [(n["email"], n["stage"]) for n in await events(sessions, NOTIFIED, user["id"])]
    assert stages == [(user["email"], "requested"), (user["email"], "confirmed")]
    async with unit_of_work(sessions, org.id) as session:
        actions = (
            await session.scalars(
                select(AuditEntry.action).where(AuditEntry.resource_id == user["id"])
            )
        ).all()
    assert audit_actions.EMAIL_CHANGE_CONFIRMED in actions


async def test_an_expired_link_changes_nothing(client, org, sessions):
    user, token = await add_user(client, org)
    await ask(client, token, unique_email("late"))
    [requested] = await events(sessions, REQUESTED, user["id"])
    async with unit_of_work(sessions, org.id) as session:
        await session.execute(
            update(EmailChange)
            .where(EmailChange.user_id == user["id"])
            .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )

    response = await confirm(client, token, mailed_token(requested))

    assert response.status_code == 422
    assert field_names(response) == ["token"]
    assert (await me(client, token))["email"] == user["email"]
    assert (await me(client, token))["pending_email"] is None


async def test_a_second_request_withdraws_the_first_link(client, org, sessions):
    user, token = await add_user(client, org)
    first_email, second_email = unique_email("first"), unique_email("second")
    await ask(client, token, first_email)
    await ask(client, token, second_email)
    first, second = await events(sessions, REQUESTED, user["id"])

    stale = await confirm(client, token, mailed_token(first))
    fresh = await confirm(client, token, mailed_token(second))

    assert stale.status_code == 422
    assert fresh.status_code == 200, fresh.text
    assert fresh.json()["data"]["email"] == second_email


async def test_a_reset_token_or_another_users_link_does_not_confirm(client, org, sessions):
    user, token = await add_user(client, org)
    other, other_token = await add_user(client, org)
    await ask(client, token, unique_email("mine"))
    await ask(client, other_token, unique_email("theirs"))
    await client.post("/v1/auth/password-reset", json={"email": user["email"]})
    [reset] = await events(sessions, "identity.password_reset.requested", user["id"])
    [mine] = await events(sessions, REQUESTED, user["id"])
    [theirs] = await events(sessions, REQUESTED, other["id"])

    with_reset = await confirm(
        client, token, open_sealed(reset["sealed_token"], INBOX_KEYS.private_key)
    )
    with_theirs = await confirm(client, token, mailed_token(theirs))
    reset_with_mine = await client.post(
        "/v1/auth/password-reset/confirm",
        json={"token": mailed_token(mine), "new_password": "a brand new passphrase"},
    )

    assert [r.status_code for r in (with_reset, with_theirs, reset_with_mine)] == [422, 422, 422]
    assert field_names(with_reset) == field_names(with_theirs) == ["token"]
    assert (await me(client, token))["email"] == user["email"]
    assert (await me(client, other_token))["email"] == other["email"]


async def test_an_address_taken_in_the_organization_is_refused_at_request_and_at_confirm(
    client, org, sessions
):
    user, token = await add_user(client, org)
    taken, _ = await add_user(client, org)
    wanted = unique_email("wanted")

    at_request = await ask(client, token, taken["email"])
    await ask(client, token, wanted)
    [requested] = await events(sessions, REQUESTED, user["id"])
    await add_user(client, org, email=wanted)  # someone else got there first
    at_confirm = await confirm(client, token, mailed_token(requested))

    assert (at_request.status_code, at_confirm.status_code) == (409, 409)
    assert field_names(at_request) == field_names(at_confirm) == ["email"]
    assert (await me(client, token))["email"] == user["email"]


async def test_an_admin_changes_another_users_email_at_once_and_the_old_address_is_told(
    client, org, sessions
):
    user, _ = await add_user(client, org)
    new_email = unique_email("fixed")

    response = await client.patch(
        f"/v1/users/{user['id']}", json={"email": new_email}, headers=bearer(org.admin_token)
    )

    assert response.status_code == 200, response.text
    assert response.json()["data"]["email"] == new_email
    [notice] = await events(sessions, NOTIFIED, user["id"])
    assert (notice["email"], notice["new_email"], notice["stage"]) == (
        user["email"],
        new_email,
        "changed_by_admin",
    )


async def test_an_admin_changes_their_own_email_only_through_me(client, org, sessions):
    response = await client.patch(
        f"/v1/users/{org.admin_id}",
        json={"email": unique_email("admin")},
        headers=bearer(org.admin_token),
    )

    assert response.status_code == 403
    assert field_names(response) == ["email"]
    assert (await me(client, org.admin_token))["email"] == org.admin_email
