"""The gateway with an injected transport and verifier: retries, identity outages, crashes, CORS."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from millbook_gateway.api_keys import RESOLVE_PATH
from millbook_gateway.config import GatewaySettings
from millbook_gateway.edge import METHODS
from millbook_gateway.main import build_app
from millbook_gateway.proxy import keepalive_connector
from millbook_platform.auth import JwksVerifier, Principal

from .conftest import Signer, serving

SIGNER = Signer(kid="injected")


async def jwks() -> dict[str, Any]:
    return {"keys": [SIGNER.jwk()]}


async def identity_down() -> dict[str, Any]:
    raise httpx.ConnectError("connection refused")


class CrashingVerifier(JwksVerifier):
    async def verify(self, token: str) -> Principal:
        raise RuntimeError("a bug")


def answering(attempts: list[str]) -> Starlette:
    """A service that answers every request with 200 and records its method."""

    async def anything(request: Request) -> Response:
        attempts.append(request.method)
        return JSONResponse({"ok": True})

    return Starlette(routes=[Route("/{path:path}", anything, methods=METHODS)])


class RefusingFirst(aiohttp.TCPConnector):
    """Refuses the first connection it is asked for, as a restarting service would."""

    def __init__(self) -> None:
        super().__init__()
        self.refused = 0

    async def _create_connection(self, req: Any, *rest: Any) -> Any:
        if not self.refused:
            self.refused += 1
            refused = ConnectionRefusedError(111, "Connection refused")
            raise aiohttp.ClientConnectorError(req.connection_key, refused)
        return await super()._create_connection(req, *rest)


@asynccontextmanager
async def gateway(
    identity: Callable[[httpx.Request], httpx.Response] = lambda _: httpx.Response(404),
    *,
    attempts: list[str] | None = None,
    refuse_first: bool = False,
    verifier: JwksVerifier | None = None,
    **settings: Any,
) -> AsyncIterator[httpx.AsyncClient]:
    """A gateway whose billing is a real server; identity is the `identity` handler."""
    async with serving(answering([] if attempts is None else attempts)) as billing:
        app = build_app(
            GatewaySettings(
                log_level="CRITICAL",
                **{"run_background": False, "upstreams": {"billing": billing}, **settings},
            ),
            verifier=verifier or JwksVerifier(jwks),
            transport=httpx.MockTransport(identity),
            connector=RefusingFirst if refuse_first else keepalive_connector,
        )
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
                yield client


def auth() -> dict[str, str]:
    """Fresh at each call: a token made at import would expire before a long suite reached it."""
    return {"Authorization": f"Bearer {SIGNER.token()}"}


async def test_an_idempotent_request_is_retried_once_after_a_refused_connection() -> None:
    attempts: list[str] = []
    async with gateway(attempts=attempts, refuse_first=True) as client:
        response = await client.get("/v1/invoices", headers=auth())

    assert response.status_code == 200
    assert attempts == ["GET"]  # the refused attempt never reached it; the retry did


async def test_a_post_is_not_retried_after_a_refused_connection() -> None:
    attempts: list[str] = []
    async with gateway(attempts=attempts, refuse_first=True) as client:
        response = await client.post("/v1/invoices", json={}, headers=auth())

    assert response.status_code == 503
    assert response.json()["error"]["code"] == "UPSTREAM_UNAVAILABLE"
    assert attempts == []


async def test_identity_being_unreachable_is_a_503_not_a_bad_token() -> None:
    async with gateway(verifier=JwksVerifier(identity_down)) as client:
        response = await client.get("/v1/invoices", headers=auth())

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
    async with gateway(verifier=CrashingVerifier(jwks)) as client:
        response = await client.get("/v1/invoices", headers={**auth(), "X-Request-Id": "req_bug"})

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
    async with gateway(cors_allowed_origins=["https://app.example"]) as client:
        allowed = await client.options("/v1/invoices", headers=preflight)
        other = await client.options(
            "/v1/invoices", headers={**preflight, "Origin": "https://evil.example"}
        )

    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == "https://app.example"
    assert "access-control-allow-origin" not in other.headers


async def test_without_cors_origins_no_cors_headers_are_sent() -> None:
    async with gateway(cors_allowed_origins=[]) as client:
        response = await client.get(
            "/v1/invoices", headers={**auth(), "Origin": "http://localhost:3000"}
        )

    assert response.status_code == 200
    assert "access-control-allow-origin" not in response.headers
