"""API keys at the edge: resolved through identity once, forwarded as identity's bearer token."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import jwt

from millbook_testing.waiting import eventually

from .conftest import Stack
from .test_proxy_integration import assert_envelope, header, unique


def forwarded_claims(call: dict[str, Any]) -> dict[str, Any]:
    (authorization,) = header(call, "authorization")
    scheme, _, token = authorization.partition(" ")
    assert scheme == "Bearer"
    claims: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    return claims


async def test_a_key_is_resolved_once_and_the_service_gets_identitys_token_not_the_key(
    stack: Stack, client: httpx.AsyncClient
) -> None:
    key = stack.identity.issue(scopes=("invoices:read", "invoices:write"))
    first, second = unique("/v1/invoices"), unique("/v1/invoices")

    for path in (first, second):
        response = await client.get(path, headers={"X-API-Key": key.secret})
        assert response.status_code == 200, response.text

    (resolve,) = stack.identity.resolves_of(key)
    assert resolve["client_ip"] == "127.0.0.1"
    for path in (first, second):
        (call,) = stack.calls_to(path)
        assert header(call, "x-api-key") == []
        claims = forwarded_claims(call)
        assert claims["kind"] == "api_key"
        assert claims["sub"] == key.key_id
        assert claims["tid"] == key.tenant_id
        assert "sid" not in claims


async def test_a_malformed_key_is_refused_without_asking_identity(
    stack: Stack, client: httpx.AsyncClient
) -> None:
    before = len(stack.identity.resolves)
    path = unique("/v1/invoices")
    for secret in ("sk_live_abc", "pk_live_0123456789abcdef", "sk_prod_0123456789abcdef", "x"):
        response = await client.get(path, headers={"X-API-Key": secret})
        error = assert_envelope(response, 401, "AUTH_INVALID")
        assert "malformed" in error["message"]

    assert len(stack.identity.resolves) == before
    assert stack.calls_to(path) == []


async def test_an_unknown_or_revoked_key_is_refused(
    stack: Stack, client: httpx.AsyncClient
) -> None:
    unknown = f"sk_live_{uuid.uuid4().hex}"
    revoked = stack.identity.issue(revoked=True).secret
    path = unique("/v1/invoices")

    for secret in (unknown, revoked):
        response = await client.get(path, headers={"X-API-Key": secret})
        error = assert_envelope(response, 401, "AUTH_INVALID")
        assert error["message"] == "The API key is not valid."
    assert stack.calls_to(path) == []


async def test_a_key_used_from_an_address_it_may_not_use_is_forbidden_not_unauthenticated(
    stack: Stack, client: httpx.AsyncClient
) -> None:
    elsewhere = stack.identity.issue(allowed_ip="203.0.113.7").secret
    path = unique("/v1/invoices")

    response = await client.get(path, headers={"X-API-Key": elsewhere})

    # A 401 would send the client to re-authenticate with the same key, in vain.
    error = assert_envelope(response, 403, "PERMISSION_DENIED")
    assert error["message"] == "This key may not be used from this address."
    assert stack.calls_to(path) == []


async def test_a_cached_key_is_refused_once_past_its_usable_until_without_an_event(
    stack: Stack, client: httpx.AsyncClient
) -> None:
    ends = datetime.now(UTC) + timedelta(seconds=1.5)
    key = stack.identity.issue(usable_until=ends.isoformat())
    headers = {"X-API-Key": key.secret}
    assert (await client.get("/v1/invoices", headers=headers)).status_code == 200
    assert (await client.get("/v1/invoices", headers=headers)).status_code == 200
    assert len(stack.identity.resolves_of(key)) == 1  # the second came from the cache
    key.revoked = True  # what identity answers for an expired key

    async def status() -> int:
        return (await client.get("/v1/invoices", headers=headers)).status_code

    await eventually(status, lambda code: code == 401, within_s=5, every_s=0.05)
    refused_after = (datetime.now(UTC) - ends).total_seconds()
    assert refused_after < 0.5, refused_after
    assert len(stack.identity.resolves_of(key)) == 2


async def test_a_key_resolved_from_one_ip_is_asked_again_from_another(
    stack: Stack, client: httpx.AsyncClient
) -> None:
    key = stack.identity.issue()
    # uvicorn trusts X-Forwarded-For from loopback, as it would from a load balancer.
    for ip in ("127.0.0.1", "198.51.100.1", "127.0.0.1"):
        response = await client.get(
            "/v1/invoices", headers={"X-API-Key": key.secret, "X-Forwarded-For": ip}
        )
        assert response.status_code == 200

    assert [call["client_ip"] for call in stack.identity.resolves_of(key)] == [
        "127.0.0.1",
        "198.51.100.1",
    ]


async def test_a_token_too_close_to_expiry_is_not_cached(
    stack: Stack, client: httpx.AsyncClient
) -> None:
    key = stack.identity.issue(token_lifetime_s=30)
    for _ in range(2):
        response = await client.get("/v1/invoices", headers={"X-API-Key": key.secret})
        assert response.status_code == 200

    assert len(stack.identity.resolves_of(key)) == 2


async def test_sending_a_key_and_a_bearer_token_is_refused(
    stack: Stack, client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    key = stack.identity.issue()
    response = await client.get("/v1/invoices", headers={**auth, "X-API-Key": key.secret})

    error = assert_envelope(response, 401, "AUTH_INVALID")
    assert "not both" in error["message"]


async def test_a_key_sent_to_a_public_route_never_reaches_the_service(
    stack: Stack, client: httpx.AsyncClient
) -> None:
    key = stack.identity.issue()
    response = await client.post(
        "/v1/auth/refresh", json={"refresh_token": "r"}, headers={"X-API-Key": key.secret}
    )

    assert response.status_code == 200
    assert header(response.json(), "x-api-key") == []
    assert stack.identity.resolves_of(key) == []
