"""The gateway with an injected transport and verifier: retries, identity outages, crashes, CORS."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx

from millbook_gateway.api_keys import RESOLVE_PATH
from millbook_gateway.config import GatewaySettings
from millbook_gateway.main import build_app
from millbook_platform.auth import JwksVerifier, Principal

from .conftest import Signer

SIGNER = Signer(kid="injected")


async def jwks() -> dict[str, Any]:
    return {"keys": [SIGNER.jwk()]}


async def identity_down() -> dict[str, Any]:
    raise httpx.ConnectError("connection refused")


class CrashingVerifier(JwksVerifier):
    async def verify(self, token: str) -> Principal:
        raise RuntimeError("a bug")


@asynccontextmanager
async def gateway(
    handler: Callable[[httpx.Request], httpx.Response],
    *,
    verifier: JwksVerifier | None = None,
    **settings: Any,
) -> AsyncIterator[httpx.AsyncClient]:
    app = build_app(
        GatewaySettings(log_level="CRITICAL", **{"run_background": False, **settings}),
        verifier=verifier or JwksVerifier(jwks),
        transport=httpx.MockTransport(handler),
    )
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
            yield client


def refused_first(attempts: list[str]) -> Callable[[httpx.Request], httpx.Response]:
    def handler(request: httpx.Request) -> httpx.Response:
        attempts.append(request.method)
        if len(attempts) == 1:
            raise httpx.ConnectError("connection refused", request=request)
        return httpx.Response(200, json={"ok": True})

    return handler


AUTH = {"Authorization": f"Bearer {SIGNER.token()}"}


async def test_an_idempotent_request_is_retried_once_after_a_refused_connection() -> None:
    attempts: list[str] = []
    async with gateway(refused_first(attempts)) as client:
        response = await client.get("/v1/invoices", headers=AUTH)

    assert response.status_code == 200
    assert attempts == ["GET", "GET"]


async def test_a_post_is_not_retried_after_a_refused_connection() -> None:
    attempts: list[str] = []
    async with gateway(refused_first(attempts)) as client:
        response = await client.post("/v1/invoices", json={}, headers=AUTH)

    assert response.status_code == 503
    assert response.json()["error"]["code"] == "UPSTREAM_UNAVAILABLE"
    assert attempts == ["POST"]


async def test_identity_being_unreachable_is_a_503_not_a_bad_token() -> None:
    async with gateway(refused_first([]), verifier=JwksVerifier(identity_down)) as client:
        response = await client.get("/v1/invoices", headers=AUTH)

    assert response.status_code == 503
    error = response.json()["error"]
    assert error["code"] == "UPSTREAM_UNAVAILABLE"
    assert "identity" in error["message"]


async def test_identity_being_unreachable_while_resolving_a_key_is_a_503() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == RESOLVE_PATH:
            raise httpx.ConnectError("connection refused", request=request)
        return httpx.Response(200, json={"ok": True})

    async with gateway(handler) as client:
        response = await client.get("/v1/invoices", headers={"X-API-Key": "sk_live_" + "a" * 32})

    assert response.status_code == 503
    error = response.json()["error"]
    assert error["code"] == "UPSTREAM_UNAVAILABLE"
    assert "identity" in error["message"]


async def test_an_unexpected_error_is_a_500_envelope_with_request_id_and_no_trace() -> None:
    async with gateway(refused_first([]), verifier=CrashingVerifier(jwks)) as client:
        response = await client.get("/v1/invoices", headers={**AUTH, "X-Request-Id": "req_bug"})

    assert response.status_code == 500
    assert response.headers["x-request-id"] == "req_bug"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.json() == {
        "error": {
            "code": "INTERNAL_ERROR",
            "message": "An unexpected error occurred.",
            "details": [],
            "request_id": "req_bug",
        }
    }


async def test_cors_allows_only_the_configured_origins() -> None:
    preflight = {"Origin": "https://app.example", "Access-Control-Request-Method": "POST"}
    async with gateway(refused_first([]), cors_origins=["https://app.example"]) as client:
        allowed = await client.options("/v1/invoices", headers=preflight)
        other = await client.options(
            "/v1/invoices", headers={**preflight, "Origin": "https://evil.example"}
        )

    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == "https://app.example"
    assert "access-control-allow-origin" not in other.headers


async def test_without_cors_origins_no_cors_headers_are_sent() -> None:
    async with gateway(lambda _: httpx.Response(200)) as client:
        response = await client.get("/v1/invoices", headers={**AUTH, "Origin": "https://a.example"})

    assert response.status_code == 200
    assert "access-control-allow-origin" not in response.headers
