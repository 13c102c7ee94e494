"""Rate limits through a running gateway: headers on every response, 429 with Retry-After."""

from __future__ import annotations

import json
import time
import uuid

import httpx

from .conftest import SMALL_ORG, Stack, clear_of_a_minute_boundary, token_headers
from .test_proxy_integration import assert_envelope

RATE_HEADERS = ("x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset")


def from_ip(ip: str | None = None) -> dict[str, str]:
    """Every test is its own client IP (uvicorn trusts X-Forwarded-For from loopback)."""
    return {"X-Forwarded-For": ip or f"198.18.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}"}


def rate(response: httpx.Response) -> tuple[int, int, int]:
    limit, remaining, reset = (int(response.headers[h]) for h in RATE_HEADERS)
    return limit, remaining, reset


async def test_the_burst_is_refused_with_429_retry_after_and_the_headers(
    stack: Stack, client: httpx.AsyncClient
) -> None:
    user = token_headers(stack.signer, tid=SMALL_ORG)  # 3 a minute
    await clear_of_a_minute_boundary()
    admitted = [await client.get("/v1/invoices", headers=user) for _ in range(3)]
    refused = await client.get("/v1/invoices", headers=user)

    assert [r.status_code for r in admitted] == [200, 200, 200]
    assert [rate(r)[:2] for r in admitted] == [(3, 2), (3, 1), (3, 0)]
    error = assert_envelope(refused, 429, "RATE_LIMIT_EXCEEDED")
    limit, remaining, reset = rate(refused)
    assert (limit, remaining) == (3, 0)
    assert reset % 60 == 0
    assert 0 < reset - time.time() <= 60
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert "retry after" in error["message"]


async def test_another_user_of_the_same_organization_has_its_own_budget(
    stack: Stack, client: httpx.AsyncClient
) -> None:
    first = token_headers(stack.signer, tid=SMALL_ORG)
    second = token_headers(stack.signer, tid=SMALL_ORG)
    await clear_of_a_minute_boundary()
    for _ in range(4):
        await client.get("/v1/invoices", headers=first)

    assert (await client.get("/v1/invoices", headers=first)).status_code == 429
    assert (await client.get("/v1/invoices", headers=second)).status_code == 200


async def test_every_kind_of_response_carries_the_rate_limit_headers(
    stack: Stack, client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    responses = {
        "ok": await client.get("/v1/invoices", headers=auth),
        "not found": await client.get("/v1/nothing", headers=auth),
        "unauthenticated": await client.get("/v1/invoices", headers=from_ip()),
        "bad token": await client.get("/v1/invoices", headers={"Authorization": "Bearer x"}),
        "service down": await client.get("/v1/materials", headers=auth),
        "public": await client.post(
            "/v1/auth/login", json={"email": "h@x.test", "password": "p"}, headers=from_ip()
        ),
    }

    for what, response in responses.items():
        assert all(h in response.headers for h in RATE_HEADERS), what
    assert rate(responses["ok"])[0] == 100  # a standard user's burst
    assert rate(responses["public"])[0] == 5  # the account's sign-in budget binds first


async def test_sign_in_attempts_are_limited_per_account_email_and_client_ip(
    stack: Stack, client: httpx.AsyncClient
) -> None:
    ip = from_ip()
    email = f"Ada.{uuid.uuid4().hex[:8]}@X.test"
    await clear_of_a_minute_boundary()
    attempts = [
        await client.post(
            "/v1/auth/login", json={"email": email, "password": f"guess {n}"}, headers=ip
        )
        for n in range(5)
    ]
    refused = await client.post(
        "/v1/auth/login", json={"email": email.lower(), "password": "guess 5"}, headers=ip
    )
    # The owner, elsewhere, is not kept out by what was spent from the first address.
    elsewhere = await client.post(
        "/v1/auth/login", json={"email": email, "password": "pw"}, headers=from_ip()
    )
    other = await client.post(
        "/v1/auth/login", json={"email": "bob@x.test", "password": "pw"}, headers=ip
    )

    assert [a.status_code for a in attempts] == [200] * 5
    assert_envelope(refused, 429, "RATE_LIMIT_EXCEEDED")
    assert elsewhere.status_code == 200
    assert other.status_code == 200
    # The body the gateway read to find the email still reached identity whole.
    sent = json.dumps({"email": email, "password": "guess 0"}, separators=(",", ":"))
    assert attempts[0].json()["body_size"] == len(sent.encode())


async def test_sign_in_attempts_are_limited_per_client_ip(
    stack: Stack, client: httpx.AsyncClient
) -> None:
    ip = from_ip()
    await clear_of_a_minute_boundary()
    statuses = [
        (
            await client.post("/v1/auth/password-reset", json={"email": f"u{n}@x.test"}, headers=ip)
        ).status_code
        for n in range(11)
    ]

    assert statuses == [200] * 10 + [429]


async def test_guessing_credentials_spends_the_client_ips_budget(
    stack: Stack, client: httpx.AsyncClient
) -> None:
    ip = from_ip()
    await clear_of_a_minute_boundary(margin_s=4)
    statuses = [
        (await client.get("/v1/invoices", headers={**ip, "X-API-Key": "sk_live_bad"})).status_code
        for _ in range(101)
    ]

    assert statuses == [401] * 100 + [429]
