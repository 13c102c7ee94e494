"""Services reached directly, not through the gateway, refuse a stopped credential within a second.

Defense in depth for a deployment whose services share a network: someone there who
holds an access token (a logged-out user's, or the one the gateway forwards for an API
key) calls sales and billing on their own ports. Each test makes the credential stop
through the gateway, then polls both services directly every 50 ms, measuring from the
response that made the change to the first refusal of each. `pytest -s` prints the figures.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from aiokafka.admin import AIOKafkaAdminClient

from .conftest import Admin
from .test_credentials_expire import (
    WITHIN_S,
    Refusal,
    colleague,
    create_key,
    first_refusal,
    log_in,
    refresh,
)

pytestmark = pytest.mark.e2e

# A cheap authenticated read on each service, as a user or a key with read scopes sees it.
PROBES = {"sales": "/v1/customers?limit=1", "billing": "/v1/invoices?limit=1"}
KEY_SCOPES = ["customers:read", "invoices:read"]
RESOLVE = "/internal/v1/api-keys/resolve"


@pytest.fixture
async def direct(stack) -> AsyncIterator[dict[str, httpx.AsyncClient]]:
    """Clients of sales and billing on their own ports, bypassing the gateway."""
    clients = {name: httpx.AsyncClient(base_url=stack.url(name), timeout=30) for name in PROBES}
    try:
        yield clients
    finally:
        for client in clients.values():
            await client.aclose()


async def accepted_directly(direct: dict[str, httpx.AsyncClient], headers: dict[str, str]) -> None:
    for name, client in direct.items():
        response = await client.get(PROBES[name], headers=headers)
        assert response.status_code == 200, f"{name}: {response.text}"


async def refused_directly(
    direct: dict[str, httpx.AsyncClient], headers: dict[str, str], *, since: float, what: str
) -> dict[str, Refusal]:
    """The first refusal by each service, polled side by side."""
    refusals = await asyncio.gather(
        *(
            first_refusal(client, PROBES[name], headers, since=since, what=f"{name}: {what}")
            for name, client in direct.items()
        )
    )
    return dict(zip(direct, refusals, strict=True))


async def forwarded_token(stack, secret: str) -> dict[str, str]:
    """The token the gateway forwards for a key, as someone on the service network sees it."""
    async with httpx.AsyncClient(base_url=stack.url("identity"), timeout=30) as identity:
        response = await identity.post(RESOLVE, json={"secret": secret, "client_ip": "127.0.0.1"})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['data']['access_token']}"}


async def test_a_logged_out_token_is_refused_by_sales_and_billing_within_a_second(
    gateway, admin: Admin, direct
):
    person = await colleague(gateway, admin, ["viewer"])
    headers, _ = await log_in(gateway, person)
    await accepted_directly(direct, headers)

    response = await gateway.post("/v1/auth/logout", headers=headers)
    assert response.status_code == 204, response.text
    refusals = await refused_directly(direct, headers, since=time.time(), what="logged out")

    for refusal in refusals.values():
        assert refusal.response.status_code == 401
        assert refusal.error["code"] == "AUTH_INVALID"
        assert "log in again" in refusal.error["message"]
        assert refusal.after_s <= WITHIN_S


async def test_a_password_change_ends_the_other_sessions_at_the_services_too(
    gateway, admin: Admin, direct
):
    person = await colleague(gateway, admin, ["viewer"])
    laptop, _ = await log_in(gateway, person)
    phone, _ = await log_in(gateway, person)

    response = await gateway.patch(
        "/v1/users/me",
        json={
            "password": f"a new long passphrase {uuid.uuid4().hex[:6]}",
            "current_password": person.password,
        },
        headers=laptop,
    )
    assert response.status_code == 200, response.text
    refusals = await refused_directly(direct, phone, since=time.time(), what="password changed")

    for refusal in refusals.values():
        assert refusal.response.status_code == 401
        assert "password was changed" in refusal.error["message"]
        assert refusal.after_s <= WITHIN_S
    await accepted_directly(direct, laptop)  # the session that changed it stays


async def test_a_role_change_makes_older_tokens_refresh_at_sales_and_billing_within_a_second(
    gateway, admin: Admin, direct
):
    person = await colleague(gateway, admin, ["sales"])
    headers, refresh_token = await log_in(gateway, person)
    await accepted_directly(direct, headers)

    response = await gateway.patch(
        f"/v1/users/{person.id}", json={"roles": ["viewer"]}, headers=admin.headers
    )
    assert response.status_code == 200, response.text
    refusals = await refused_directly(direct, headers, since=time.time(), what="roles changed")

    for refusal in refusals.values():
        assert refusal.response.status_code == 401
        assert refusal.error["code"] == "AUTH_EXPIRED"
        assert refusal.after_s <= WITHIN_S
    refreshed = await refresh(gateway, refresh_token)
    assert refreshed.status_code == 200, refreshed.text
    await accepted_directly(
        direct, {"Authorization": f"Bearer {refreshed.json()['data']['access_token']}"}
    )


async def test_a_revoked_keys_forwarded_token_is_refused_directly_within_a_second(
    stack, gateway, admin: Admin, direct
):
    key = await create_key(gateway, admin, scopes=KEY_SCOPES)
    headers = await forwarded_token(stack, key["secret"])
    await accepted_directly(direct, headers)

    response = await gateway.post(f"/v1/api-keys/{key['id']}/revoke", headers=admin.headers)
    assert response.status_code == 200, response.text
    refusals = await refused_directly(direct, headers, since=time.time(), what="key revoked")

    for refusal in refusals.values():
        assert refusal.response.status_code == 401
        assert refusal.error["code"] == "AUTH_INVALID"
        assert refusal.after_s <= WITHIN_S


async def test_a_key_rotated_without_grace_stops_its_old_secrets_tokens_directly(
    stack, gateway, admin: Admin, direct
):
    key = await create_key(gateway, admin, scopes=KEY_SCOPES)
    old = await forwarded_token(stack, key["secret"])
    await accepted_directly(direct, old)

    response = await gateway.post(
        f"/v1/api-keys/{key['id']}/rotate", json={"grace_period_seconds": 0}, headers=admin.headers
    )
    assert response.status_code == 200, response.text
    refusals = await refused_directly(direct, old, since=time.time(), what="key rotated, grace 0")

    for refusal in refusals.values():
        assert refusal.response.status_code == 401
        assert refusal.after_s <= WITHIN_S
    new = await forwarded_token(stack, response.json()["data"]["secret"])
    await accepted_directly(direct, new)


async def test_each_service_has_loaded_its_revocations_and_shares_them_with_no_group(infra, direct):
    for name, client in direct.items():
        ready = await client.get("/health/ready")
        assert ready.json()["revocations"] == "current", f"{name}: {ready.text}"
    # A group would split the partitions, and so the revocations, between a service's processes.
    admin = AIOKafkaAdminClient(bootstrap_servers=infra.kafka_bootstrap)
    await admin.start()
    try:
        groups = {group_id for group_id, _ in await admin.list_consumer_groups()}
    finally:
        await admin.close()
    assert not groups & {f"{name}.revocations" for name in [*PROBES, "gateway"]}
