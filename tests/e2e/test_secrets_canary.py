"""No secret leaves identity in clear: every kind of secret is made with a recognizable
value, every flow that touches one runs through the gateway, and then none of them is
found in any Kafka message, database row, log file or response but the one meant to
show it (see canary.py for where the sweep looks)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import httpx
import pytest

from millbook_contracts.events import EmailChangeRequested, PasswordResetRequested
from millbook_platform.sealing import open_sealed
from millbook_stack.services import inbox_seal_key_files
from millbook_testing.waiting import eventually

from .canary import Canary
from .conftest import create_organization, own_loopback_address
from .events import published

pytestmark = pytest.mark.e2e

# Identity's actions the audit trail must hold before the sweep: the flows have settled.
SETTLED = {
    "identity.user.created",
    "identity.api_key.created",
    "identity.password_reset.requested",
    "identity.session.revoked",
    "identity.auth.password_reset_confirmed",
    "identity.auth.api_key_rotated",
    "identity.user.email_change_requested",
    "identity.auth.email_change_confirmed",
}


@pytest.fixture
def canary() -> Canary:
    return Canary()


@pytest.fixture
async def client(stack, canary) -> AsyncIterator[httpx.AsyncClient]:
    """A gateway client whose every response the canary keeps."""
    transport = httpx.AsyncHTTPTransport(local_address=own_loopback_address())
    async with httpx.AsyncClient(
        base_url=stack.gateway,
        transport=transport,
        timeout=30,
        event_hooks={"response": [canary.record]},
    ) as http:
        yield http


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def ok(response: httpx.Response, status: int = 200) -> dict:
    assert response.status_code == status, response.text
    return response.json()["data"] if response.content else {}


async def log_in(client, canary, email: str, password: str, label: str) -> dict:
    """Log in; the answer is the one place the login's tokens may be seen."""
    body = {"email": email, "password": password}
    tokens = ok(canary.allow(await client.post("/v1/auth/login", json=body)))
    canary.add(f"{label} access token", tokens["access_token"])
    canary.add(f"{label} refresh token", tokens["refresh_token"])
    return tokens


async def add_user(client, canary, admin_token: str, marker: str) -> tuple[str, str, str]:
    email = f"grace-{uuid.uuid4().hex[:8]}@e2e.example.com"
    body = {"email": email, "first_name": "Grace", "last_name": "Hopper", "roles": ["sales"]}
    # A password the policy refuses: its 422 must not repeat it.
    refused = f"{email.partition('@')[0]}-{marker}-refused"
    canary.add("refused password", refused)
    bad = await client.post(
        "/v1/users", json={**body, "password": refused}, headers=bearer(admin_token)
    )
    assert bad.status_code == 422, bad.text
    password = canary.add("user password", f"{marker}-user password")
    user = ok(
        await client.post(
            "/v1/users", json={**body, "password": password}, headers=bearer(admin_token)
        ),
        201,
    )
    return user["id"], email, password


async def change_password(client, canary, token: str, current: str, marker: str) -> str:
    changed = canary.add("changed password", f"{marker}-changed password")
    wrong = canary.add("wrong current password", f"{marker}-not my password")
    refused = await client.patch(
        "/v1/users/me", json={"password": changed, "current_password": wrong}, headers=bearer(token)
    )
    assert refused.status_code == 422, refused.text
    ok(
        await client.patch(
            "/v1/users/me",
            json={"password": changed, "current_password": current},
            headers=bearer(token),
        )
    )
    return changed


async def use_api_keys(client, canary, admin_token: str, marker: str) -> None:
    """Create a key, use it, replay its creation, rotate it, use both secrets."""
    body = {"name": "canary machine", "scopes": ["users:read"], "mode": "live"}
    idempotent = {**bearer(admin_token), "Idempotency-Key": f"canary-{uuid.uuid4()}"}
    created = canary.allow(await client.post("/v1/api-keys", json=body, headers=idempotent))
    key = ok(created, 201)
    canary.add("api key secret", key["secret"])
    replayed = await client.post("/v1/api-keys", json=body, headers=idempotent)
    assert replayed.headers.get("x-secrets-redacted") == "true", replayed.text
    ok(await client.get("/v1/users", headers={"X-API-Key": key["secret"]}))
    forged = f"sk_live_{marker}-forged-key"
    canary.add("forged api key", forged)
    assert (await client.get("/v1/users", headers={"X-API-Key": forged})).status_code == 401

    rotated = canary.allow(
        await client.post(
            f"/v1/api-keys/{key['id']}/rotate",
            json={"grace_period_seconds": 60},
            headers=bearer(admin_token),
        )
    )
    canary.add("rotated api key secret", ok(rotated)["secret"])
    ok(await client.get("/v1/users", headers={"X-API-Key": ok(rotated)["secret"]}))
    ok(await client.get("/v1/users", headers={"X-API-Key": key["secret"]}))  # in its grace


async def reset_password(client, stack, canary, user_id: str, email: str, marker: str) -> str:
    """Ask for a reset, open the token from the event as the inbox would, and use it."""
    accepted = await client.post("/v1/auth/password-reset", json={"email": email})
    assert accepted.status_code == 202, accepted.text
    envelope = await published(stack, PasswordResetRequested, user_id)
    assert envelope.dataschema == "millbook:identity.password_reset.requested:v2"
    event = PasswordResetRequested.model_validate_json(envelope.data)
    inbox_private_key = inbox_seal_key_files(stack.profile)[1].read_text()
    token = canary.add("reset token", open_sealed(event.sealed_token, inbox_private_key))

    new_password = canary.add("reset password", f"{marker}-after the reset")
    confirm = {"token": token, "new_password": new_password}
    ok(await client.post("/v1/auth/password-reset/confirm", json=confirm), 204)
    spent = await client.post("/v1/auth/password-reset/confirm", json=confirm)
    assert spent.status_code == 422, spent.text
    return new_password


async def change_email(client, stack, canary, user_id: str, token: str, password: str) -> str:
    """Ask for a new email with the password, open the mailed token as the inbox would, and
    confirm it through the gateway; the token works once."""
    new_email = f"moved-{uuid.uuid4().hex[:8]}@e2e.example.com"
    asked = await client.patch(
        "/v1/users/me",
        json={"email": new_email, "current_password": password},
        headers=bearer(token),
    )
    assert ok(asked, 202)["pending_email"] == new_email
    envelope = await published(stack, EmailChangeRequested, user_id)
    event = EmailChangeRequested.model_validate_json(envelope.data)
    inbox_private_key = inbox_seal_key_files(stack.profile)[1].read_text()
    mailed = canary.add("email change token", open_sealed(event.sealed_token, inbox_private_key))
    confirm = {"token": mailed}
    url = "/v1/users/me/email/confirm"
    assert ok(await client.post(url, json=confirm, headers=bearer(token)))["email"] == new_email
    spent = await client.post(url, json=confirm, headers=bearer(token))
    assert spent.status_code == 422, spent.text
    return new_email


async def audit_settled(client, admin_token: str) -> set[str]:
    actions: set[str] = set()
    offset, total = 0, 1
    while offset < total:
        page = await client.get(
            "/v1/audit", params={"limit": 100, "offset": offset}, headers=bearer(admin_token)
        )
        assert page.status_code == 200, page.text
        actions |= {entry["action"] for entry in page.json()["data"]}
        total = page.json()["meta"]["total"]
        offset += 100
    return actions


async def test_no_secret_is_seen_in_clear_anywhere_but_the_answer_that_shows_it(
    stack, client, canary
):
    marker = f"canary-{uuid.uuid4().hex}"
    admin_password = canary.add("admin password", f"{marker}-admin password")
    admin_email, _, _ = create_organization(stack, f"Canary {marker[-6:]}", admin_password)
    admin = await log_in(client, canary, admin_email, admin_password, "admin")

    user_id, user_email, user_password = await add_user(
        client, canary, admin["access_token"], marker
    )
    user = await log_in(client, canary, user_email, user_password, "user")
    await change_password(client, canary, user["access_token"], user_password, marker)
    await use_api_keys(client, canary, admin["access_token"], marker)
    refreshed = canary.allow(
        await client.post("/v1/auth/refresh", json={"refresh_token": admin["refresh_token"]})
    )
    admin_again = ok(refreshed)
    canary.add("refreshed access token", admin_again["access_token"])
    canary.add("refreshed refresh token", admin_again["refresh_token"])
    reused = await client.post("/v1/auth/refresh", json={"refresh_token": admin["refresh_token"]})
    assert reused.status_code == 401, reused.text
    new_password = await reset_password(client, stack, canary, user_id, user_email, marker)
    user_again = await log_in(client, canary, user_email, new_password, "user after reset")
    await change_email(client, stack, canary, user_id, user_again["access_token"], new_password)
    signup_password = canary.add("signup password", f"{marker}-signup password")
    signup = {
        "organization_name": f"Canary signup {marker[-6:]}",
        "email": f"signup-{uuid.uuid4().hex[:8]}@e2e.example.com",
        "password": signup_password,
    }
    signed_up = ok(canary.allow(await client.post("/v1/auth/signup", json=signup)), 201)
    canary.add("signup refresh token", signed_up["refresh_token"])
    ok(await client.post("/v1/auth/logout", headers=bearer(user_again["access_token"])), 204)
    viewer = await log_in(client, canary, admin_email, admin_password, "audit reader")

    await eventually(
        lambda: audit_settled(client, viewer["access_token"]),
        lambda actions: actions >= SETTLED,
        within_s=30,
        what="the audit trail holding every flow's entries",
    )

    hits = await canary.sweep(stack)

    print(f"canary sweep over {len(canary.secrets)} secrets read {dict(canary.looked_at)}")
    assert hits == []
    assert canary.looked_at["kafka messages"] > 0
    assert canary.looked_at["log files"] > 0
    assert canary.looked_at["metrics pages"] == len(stack.profile.service_ports)
    assert canary.looked_at["identity rows"] > 0
    # The sweep would see a secret where one is: the answers allowed to show one do.
    shown = [r for r in canary.responses if id(r) in canary.allowed]
    assert all(canary.hits("an allowed answer", r.content) for r in shown)
