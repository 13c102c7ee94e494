"""Real HTTP upstreams on loopback ports, a fake identity with its JWKS, and a running gateway.

Every server is a real uvicorn (or raw TCP) server in the test's event loop, so the
gateway is exercised over sockets exactly as in production: pooled keep-alive
clients, chunked bodies, streamed responses, refused connections and timeouts.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import socket
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import jwt
import pytest
import uvicorn
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from jwt.algorithms import OKPAlgorithm
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from millbook_gateway.config import GatewaySettings
from millbook_gateway.main import build_app

MAX_BODY = 1024 * 1024
UPSTREAM_TIMEOUT_S = 0.5
BIG_CHUNK = bytes(range(256)) * 256  # 64 KiB
BIG_CHUNKS = 80  # 5 MiB


# -- tokens -----------------------------------------------------------------------------


@dataclass
class Signer:
    """An Ed25519 signing key as identity would hold it."""

    kid: str
    key: Ed25519PrivateKey = field(default_factory=Ed25519PrivateKey.generate)

    def jwk(self) -> dict[str, Any]:
        public = OKPAlgorithm.to_jwk(self.key.public_key(), as_dict=True)
        return {**public, "kid": self.kid, "alg": "EdDSA", "use": "sig"}

    def token(self, *, expires_in: int = 300, **claims: Any) -> str:
        now = int(time.time())
        body = {
            "iss": "millbook-identity",
            "aud": "millbook",
            "sub": str(uuid.uuid4()),
            "tid": str(uuid.uuid4()),
            "scope": "invoices:read invoices:write",
            "typ": "access",
            "sid": str(uuid.uuid4()),
            "iat": now,
            "exp": now + expires_in,
            **claims,
        }
        return jwt.encode(body, self.key, algorithm="EdDSA", headers={"kid": self.kid})


# -- upstream apps ----------------------------------------------------------------------


def echo_app(name: str, calls: list[dict[str, Any]], openapi: dict[str, Any] | None) -> Starlette:
    """A service stand-in: echoes what it received, streams a big body, or answers slowly."""

    async def echo(request: Request) -> Response:
        body = await request.body()
        call = {
            "service": name,
            "method": request.method,
            "path": request.url.path,
            "raw_path": request.scope["raw_path"].decode(),
            "query": request.url.query,
            "headers": [(k.decode(), v.decode()) for k, v in request.headers.raw],
            "body_size": len(body),
            "body_sha256": hashlib.sha256(body).hexdigest(),
        }
        calls.append(call)
        # Like a platform service, it answers with the request id and its own server headers.
        reply_headers = {"x-request-id": request.headers.get("x-request-id", "none")}
        reply_headers["x-upstream"] = name
        return JSONResponse(call, headers=reply_headers)

    async def big(_: Request) -> Response:
        async def chunks() -> AsyncIterator[bytes]:
            for _ in range(BIG_CHUNKS):
                yield BIG_CHUNK

        return StreamingResponse(chunks(), media_type="application/octet-stream")

    async def slow(request: Request) -> Response:
        async def disconnected() -> None:
            while (await request.receive())["type"] != "http.disconnect":
                pass

        # Answers after 5 s, or gives up as soon as the gateway hangs up.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(disconnected(), 5)
        return JSONResponse({"slow": True})

    async def ready(_: Request) -> Response:
        return JSONResponse({"status": "ready"})

    async def document(_: Request) -> Response:
        if openapi is None:
            return JSONResponse({"detail": "Not Found"}, status_code=404)
        return JSONResponse(openapi)

    routes = [
        Route("/health/ready", ready),
        Route("/openapi.json", document),
        Route("/v1/{resource}/big", big),
        Route("/v1/{resource}/slow", slow),
        Route("/{path:path}", echo, methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"]),
    ]
    return Starlette(routes=routes)


def identity_app(calls: list[dict[str, Any]], signer: Signer) -> Starlette:
    """Identity's stand-in: its JWKS, and an echo for everything else (login, users, ...)."""
    app = echo_app("identity", calls, None)

    async def jwks(_: Request) -> Response:
        return JSONResponse({"keys": [signer.jwk()]})

    app.router.routes.insert(0, Route("/.well-known/jwks.json", jwks))
    return app


def service_doc(schema_name: str, path: str, fields: dict[str, Any]) -> dict[str, Any]:
    """A small FastAPI-shaped OpenAPI document with one schema and one operation."""
    ref = {"$ref": f"#/components/schemas/{schema_name}"}
    return {
        "openapi": "3.1.0",
        "info": {"title": path, "version": "0.1.0"},
        "paths": {
            path: {
                "get": {
                    "operationId": f"get{path}",
                    "responses": {"200": {"content": {"application/json": {"schema": ref}}}},
                }
            },
            "/health": {"get": {"responses": {"200": {}}}},
        },
        "components": {"schemas": {schema_name: {"type": "object", "properties": fields}}},
    }


SALES_DOC = service_doc("Customer", "/v1/customers", {"name": {"type": "string"}})
BILLING_DOC = service_doc("Customer", "/v1/invoices", {"balance": {"type": "string"}})


# -- servers ----------------------------------------------------------------------------


def free_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


def closed_port() -> int:
    """A loopback port with nothing listening on it."""
    sock = free_socket()
    port: int = sock.getsockname()[1]
    sock.close()
    return port


@asynccontextmanager
async def serving(app: Any, *, lifespan: str = "off") -> AsyncIterator[str]:
    """Runs `app` under uvicorn on a free loopback port; yields its base URL."""
    sock = free_socket()
    config = uvicorn.Config(
        app, lifespan=lifespan, log_config=None, log_level="warning", timeout_graceful_shutdown=2
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        await task


Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


@asynccontextmanager
async def serving_tcp(handler: Handler) -> AsyncIterator[str]:
    server = await asyncio.start_server(handler, "127.0.0.1", 0)
    try:
        yield f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
    finally:
        server.close()
        await server.wait_closed()


async def speak_garbage(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """An upstream that is not an HTTP server at all."""
    await reader.readuntil(b"\r\n\r\n")
    writer.write(b"SSH-2.0-OpenSSH_9.6\r\n\r\n")
    await writer.drain()
    writer.close()


# -- the stack --------------------------------------------------------------------------


@dataclass
class Stack:
    gateway: str
    upstreams: dict[str, str]
    signer: Signer
    calls: list[dict[str, Any]]

    def calls_to(self, path: str) -> list[dict[str, Any]]:
        return [call for call in self.calls if call["path"] == path]


@pytest.fixture(scope="session")
async def stack() -> AsyncIterator[Stack]:
    calls: list[dict[str, Any]] = []
    signer = Signer(kid="key-1")
    async with AsyncExitStack() as servers:
        upstreams = {
            "identity": await servers.enter_async_context(serving(identity_app(calls, signer))),
            "sales": await servers.enter_async_context(
                serving(echo_app("sales", calls, SALES_DOC))
            ),
            "billing": await servers.enter_async_context(
                serving(echo_app("billing", calls, BILLING_DOC))
            ),
            "purchasing": f"http://127.0.0.1:{closed_port()}",
            "inbox": await servers.enter_async_context(serving(echo_app("inbox", calls, None))),
            "analytics": await servers.enter_async_context(serving_tcp(speak_garbage)),
        }
        settings = GatewaySettings(
            upstreams=upstreams,
            identity_url=upstreams["identity"],
            upstream_timeout_s=UPSTREAM_TIMEOUT_S,
            max_body_bytes=MAX_BODY,
            log_level="WARNING",
        )
        gateway = await servers.enter_async_context(serving(build_app(settings), lifespan="on"))
        yield Stack(gateway, upstreams, signer, calls)


@pytest.fixture
async def client(stack: Stack) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=stack.gateway, timeout=10) as http:
        yield http


@pytest.fixture
def token(stack: Stack) -> str:
    return stack.signer.token()


@pytest.fixture
def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
