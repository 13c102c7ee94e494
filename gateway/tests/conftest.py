"""Real HTTP upstreams on loopback ports, a fake identity with its JWKS, and a running gateway.

Every server is a real uvicorn (or raw TCP) server in the test's event loop, so the
gateway is exercised over sockets exactly as in production: pooled keep-alive
clients, chunked bodies, streamed responses, refused connections and timeouts.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import shutil
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
from redis.asyncio import Redis
from redis.exceptions import RedisError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from millbook_gateway.api_keys import RESOLVE_PATH
from millbook_gateway.config import GatewaySettings
from millbook_gateway.main import build_app
from millbook_testing.waiting import eventually

MAX_BODY = 1024 * 1024
UPSTREAM_TIMEOUT_S = 0.5
BIG_CHUNK = bytes(range(256)) * 256  # 64 KiB
BIG_CHUNKS = 80  # 5 MiB
# An organization with a small contract: 30 requests an hour, a burst of 3 a minute.
SMALL_ORG = "0b9a6a4e-5d2c-4c36-9d1e-5c3f2f1a0001"
SMALL_ORG_PER_HOUR = 30
# A JSON answer well over the gateway's gzip threshold, and a PDF-sized binary.
LARGE_JSON_ITEMS = 400
PDF_BYTES = b"%PDF-1.7\n" + b"0 0 0 rg 72 720 Td (Millbook) Tj\n" * 1000
# Streamed exports wait for the test to release their second half (keyed by ?release=).
EXPORT_RELEASES: dict[str, asyncio.Event] = {}
EXPORT_ROW = b"INV-2026-0001,Whitfield Hydraulics,1100.00,EUR\n"


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

    def api_key_token(self, key: FakeKey, *, expires_in: int = 300) -> str:
        """What identity mints for an API key: kind api_key, the key as subject, no session."""
        token = self.token(
            expires_in=expires_in,
            sub=key.key_id,
            tid=key.tenant_id,
            scope=" ".join(key.scopes),
            kind="api_key",
            tier=key.tier,
        )
        claims = jwt.decode(token, options={"verify_signature": False})
        del claims["sid"]
        return jwt.encode(claims, self.key, algorithm="EdDSA", headers={"kid": self.kid})


@dataclass
class FakeKey:
    """An API key as the fake identity knows it."""

    secret: str = field(default_factory=lambda: f"sk_test_{uuid.uuid4().hex}")
    key_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    tenant_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    scopes: tuple[str, ...] = ("invoices:read",)
    tier: str = "standard"
    allowed_ip: str | None = None
    revoked: bool = False
    token_lifetime_s: int = 300
    usable_until: str | None = None  # RFC 3339, as identity sends it


@dataclass
class FakeIdentity:
    """Identity's side of the API-key contract, with every resolve call recorded."""

    signer: Signer
    keys: dict[str, FakeKey] = field(default_factory=dict)
    resolves: list[dict[str, Any]] = field(default_factory=list)

    def issue(self, **fields: Any) -> FakeKey:
        key = FakeKey(**fields)
        self.keys[key.secret] = key
        return key

    def resolves_of(self, key: FakeKey) -> list[dict[str, Any]]:
        return [call for call in self.resolves if call["secret"] == key.secret]

    def answer(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        self.resolves.append(body)
        key = self.keys.get(body.get("secret", ""))
        if key is None or key.revoked:
            error = {"code": "AUTH_INVALID", "message": "The API key is not valid."}
            return 401, {"error": {**error, "details": [], "request_id": "req_identity"}}
        if key.allowed_ip not in (None, body.get("client_ip")):
            message = "This key may not be used from this address."
            error = {"code": "PERMISSION_DENIED", "message": message}
            return 403, {"error": {**error, "details": [], "request_id": "req_identity"}}
        data = {
            "access_token": self.signer.api_key_token(key, expires_in=key.token_lifetime_s),
            "expires_in": key.token_lifetime_s,
            "key_id": key.key_id,
            "tenant_id": key.tenant_id,
            "mode": "test",
            "scopes": list(key.scopes),
            "tier": key.tier,
            "usable_until": key.usable_until,
        }
        return 200, {"data": data}


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

    async def redirect(request: Request) -> Response:
        # What a framework does by default: an absolute URL built from the Host it was sent.
        target = request.url.replace(path=request.url.path.removesuffix("/redirect"))
        return Response(status_code=307, headers={"location": str(target)})

    async def elsewhere(_: Request) -> Response:
        return Response(status_code=303, headers={"location": "https://pay.example/checkout/1"})

    async def large(_: Request) -> Response:
        items = [
            {"id": i, "name": f"Customer {i}", "balance": "1100.00"}
            for i in range(LARGE_JSON_ITEMS)
        ]
        return JSONResponse({"data": items}, headers={"cache-control": "max-age=60"})

    async def resource(request: Request) -> Response:
        doc_id = request.path_params["doc_id"]
        return JSONResponse({"data": {"id": doc_id, "name": "Whitfield Hydraulics"}})

    async def pdf(_: Request) -> Response:
        return Response(PDF_BYTES, media_type="application/pdf")

    async def export(request: Request) -> Response:
        release = EXPORT_RELEASES[request.query_params["release"]]

        async def rows() -> AsyncIterator[bytes]:
            yield b"number,customer,total,currency\n" + EXPORT_ROW * 10
            await release.wait()
            yield EXPORT_ROW * 2000

        return StreamingResponse(rows(), media_type="text/csv")

    async def document(_: Request) -> Response:
        if openapi is None:
            return JSONResponse({"detail": "Not Found"}, status_code=404)
        return JSONResponse(openapi)

    routes = [
        Route("/health/ready", ready),
        Route("/openapi.json", document),
        Route("/v1/{resource}/big", big),
        Route("/v1/{resource}/slow", slow),
        Route("/v1/{resource}/redirect", redirect),
        Route("/v1/{resource}/elsewhere", elsewhere, methods=["POST"]),
        Route("/v1/{resource}/large", large),
        Route("/v1/{resource}/pdf", pdf),
        Route("/v1/{resource}/doc/{doc_id}", resource),
        Route("/v1/{resource}/export", export),
        Route("/{path:path}", echo, methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"]),
    ]
    return Starlette(routes=routes)


def identity_app(calls: list[dict[str, Any]], identity: FakeIdentity) -> Starlette:
    """Identity's stand-in: JWKS, API-key resolution, and an echo for everything else."""
    app = echo_app("identity", calls, None)

    async def jwks(_: Request) -> Response:
        return JSONResponse({"keys": [identity.signer.jwk()]})

    async def resolve(request: Request) -> Response:
        status, body = identity.answer(await request.json())
        return JSONResponse(body, status_code=status)

    app.router.routes.insert(0, Route("/.well-known/jwks.json", jwks))
    app.router.routes.insert(0, Route(RESOLVE_PATH, resolve, methods=["POST"]))
    return app


def service_doc(
    schema_name: str, path: str, fields: dict[str, Any], scopes: list[str] | None = None
) -> dict[str, Any]:
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
                    **({"x-scopes": scopes} if scopes else {}),
                }
            },
            "/health": {"get": {"responses": {"200": {}}}},
        },
        "components": {"schemas": {schema_name: {"type": "object", "properties": fields}}},
    }


SALES_DOC = service_doc("Customer", "/v1/customers", {"name": {"type": "string"}})
BILLING_DOC = service_doc(
    "Customer", "/v1/invoices", {"balance": {"type": "string"}}, scopes=["invoices:read"]
)


# -- servers ----------------------------------------------------------------------------


def free_socket(port: int = 0) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    return sock


def closed_port() -> int:
    """A loopback port with nothing listening on it."""
    sock = free_socket()
    port: int = sock.getsockname()[1]
    sock.close()
    return port


@asynccontextmanager
async def serving(app: Any, *, lifespan: str = "off", port: int = 0) -> AsyncIterator[str]:
    """Runs `app` under uvicorn on a loopback port (a free one by default); yields its URL."""
    sock = free_socket(port)
    config = uvicorn.Config(
        app,
        lifespan=lifespan,
        log_config=None,
        log_level="warning",
        timeout_graceful_shutdown=2,
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
    identity: FakeIdentity
    calls: list[dict[str, Any]]
    settings: GatewaySettings

    @property
    def signer(self) -> Signer:
        return self.identity.signer

    def calls_to(self, path: str) -> list[dict[str, Any]]:
        return [call for call in self.calls if call["path"] == path]

    def settings_with(self, **changes: Any) -> GatewaySettings:
        """Another gateway's settings over the same upstreams."""
        return self.settings.model_copy(update=changes)


@pytest.fixture(scope="session")
async def stack() -> AsyncIterator[Stack]:
    calls: list[dict[str, Any]] = []
    identity = FakeIdentity(Signer(kid="key-1"))
    async with AsyncExitStack() as servers:
        upstreams = {
            "identity": await servers.enter_async_context(serving(identity_app(calls, identity))),
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
            run_background=False,  # the revocation tests run their own gateway with Kafka
            rate_limit_overrides={SMALL_ORG: SMALL_ORG_PER_HOUR},
        )
        gateway = await servers.enter_async_context(serving(build_app(settings), lifespan="on"))
        yield Stack(gateway, upstreams, identity, calls, settings)


@pytest.fixture
async def client(stack: Stack) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=stack.gateway, timeout=10) as http:
        yield http


@pytest.fixture
def token(stack: Stack) -> str:
    # Each test is its own user, so no test spends another's rate-limit budget.
    return stack.signer.token()


@pytest.fixture
def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def minute_left(now: float | None = None) -> float:
    now = time.time() if now is None else now
    return 60 - now % 60


async def clear_of_a_minute_boundary(margin_s: float = 3.0) -> None:
    """Fixed windows reset on the minute; a test that counts a burst must not straddle one.

    The one sleep in these tests: it waits for the wall clock, which no event announces.
    """
    if minute_left() < margin_s:
        await asyncio.sleep(minute_left() + 0.05)


def token_headers(signer: Signer, **claims: Any) -> dict[str, str]:
    return {"Authorization": f"Bearer {signer.token(**claims)}"}


# -- redis ------------------------------------------------------------------------------


@pytest.fixture(scope="session")
async def redis_url() -> AsyncIterator[str]:
    """A real redis-server (Debian's `redis-server` package) on a free port, for this session."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    port = closed_port()
    process = await asyncio.create_subprocess_exec(
        binary,
        "--port", str(port),
        "--bind", "127.0.0.1",
        "--save", "",
        "--appendonly", "no",
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    url = f"redis://127.0.0.1:{port}/0"
    client = Redis.from_url(url)
    try:

        async def answers() -> bool:
            try:
                return bool(await client.ping())
            except (RedisError, OSError):
                return process.returncode is not None  # died: stop waiting, fail below

        await eventually(answers, within_s=10, what="redis-server answering PING")
        assert process.returncode is None, "redis-server exited at start"
        yield url
    finally:
        await client.aclose()
        if process.returncode is None:
            process.terminate()
            await process.wait()
