"""Forwarding a request to its service and streaming the answer back, both ways unbuffered."""

from __future__ import annotations

import logging
import math
import time
from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass

import anyio
import httpx
from fastapi import Request
from fastapi.responses import Response, StreamingResponse
from starlette.requests import ClientDisconnect
from starlette.types import Receive, Scope, Send

from millbook_gateway import metrics
from millbook_gateway.breaker import CircuitBreaker
from millbook_gateway.errors import BadGateway
from millbook_gateway.headers import downstream_response_headers, upstream_request_headers
from millbook_platform.errors import AppError, PayloadTooLarge, UpstreamTimeout, UpstreamUnavailable
from millbook_platform.requestctx import current_request_id
from millbook_platform.tracing import current_traceparent

log = logging.getLogger("millbook.gateway.proxy")

IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
# Below uvicorn's 5 s keep-alive, so the gateway never reuses a connection the service is closing.
KEEPALIVE_EXPIRY_S = 4.0
CLIENT_CLOSED_REQUEST = 499


class Upstreams:
    """One pooled keep-alive HTTP client and one circuit breaker per service."""

    def __init__(
        self,
        urls: Mapping[str, str],
        *,
        timeout_s: float,
        transport: httpx.AsyncBaseTransport | None = None,
        breaker_failures: int = 5,
        breaker_cool_down_s: float = 10.0,
    ) -> None:
        timeout = httpx.Timeout(timeout_s, connect=min(timeout_s, 5.0))
        limits = httpx.Limits(max_connections=200, keepalive_expiry=KEEPALIVE_EXPIRY_S)
        self.urls = dict(urls)
        self._clients = {
            name: httpx.AsyncClient(
                base_url=url, timeout=timeout, limits=limits, transport=transport
            )
            for name, url in urls.items()
        }
        self._breakers = {
            name: CircuitBreaker(failures=breaker_failures, cool_down_s=breaker_cool_down_s)
            for name in urls
        }

    def client(self, service: str) -> httpx.AsyncClient:
        return self._clients[service]

    def breaker(self, service: str) -> CircuitBreaker:
        return self._breakers[service]

    def names(self) -> list[str]:
        return list(self._clients)

    async def aclose(self) -> None:
        for client in self._clients.values():
            await client.aclose()


def reject_declared_oversize(request: Request, limit: int) -> None:
    """413 from the Content-Length header alone, before a byte of the body is read."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(_too_large_message(limit))


def _too_large_message(limit: int) -> str:
    mib = 1024 * 1024
    size = f"{limit // mib} MB" if limit % mib == 0 else f"{limit} byte"
    return f"The request body is larger than the {size} limit."


async def _limited(chunks: AsyncIterator[bytes], limit: int) -> AsyncIterator[bytes]:
    # A chunked body has no Content-Length, so the limit is enforced while it streams.
    received = 0
    async for chunk in chunks:
        received += len(chunk)
        if received > limit:
            raise PayloadTooLarge(_too_large_message(limit))
        if chunk:
            yield chunk


async def read_body(request: Request, limit: int) -> bytes:
    """The whole body, for the few routes the edge must look into (sign-in, batches)."""
    reject_declared_oversize(request, limit)
    return b"".join([chunk async for chunk in _limited(request.stream(), limit)])


def _has_body(request: Request) -> bool:
    headers = request.headers
    return "transfer-encoding" in headers or headers.get("content-length", "0") != "0"


def _upstream_url(client: httpx.AsyncClient, request: Request) -> httpx.URL:
    # The raw path keeps the client's percent-encoding exactly as it was sent.
    raw_path: bytes = request.scope.get("raw_path") or request.url.path.encode()
    query: bytes = request.scope.get("query_string", b"")
    base = client.base_url.raw_path.rstrip(b"/")
    return client.base_url.copy_with(raw_path=base + raw_path + (b"?" + query if query else b""))


@dataclass(frozen=True)
class Outbound:
    """How one request leaves the gateway."""

    access_token: str | None  # the verified credential; None on a public route
    timeout_s: float
    max_body: int
    body: bytes | None = None  # set when the edge had to read the body already


def _outgoing(client: httpx.AsyncClient, request: Request, outbound: Outbound) -> httpx.Request:
    raw = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in request.headers.raw]
    headers = upstream_request_headers(
        raw,
        request_id=current_request_id(),
        traceparent=current_traceparent(),
        client_host=request.client.host if request.client else None,
        scheme=request.url.scheme,
        access_token=outbound.access_token,
    )
    body: bytes | AsyncIterator[bytes] | None = outbound.body
    if body is None and _has_body(request):
        body = _limited(request.stream(), outbound.max_body)
    timeout = httpx.Timeout(outbound.timeout_s, connect=min(outbound.timeout_s, 5.0))
    return client.build_request(
        request.method,
        _upstream_url(client, request),
        headers=[(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers],
        content=body,
        timeout=timeout,
    )


@contextmanager
def _upstream_errors(service: str) -> Iterator[None]:
    """Transport failures become the envelope a client can act on."""
    try:
        yield
    except (httpx.ConnectError, httpx.ConnectTimeout, httpx.NetworkError) as exc:
        raise UpstreamUnavailable(_unavailable(service)) from exc
    except httpx.TimeoutException as exc:
        raise UpstreamTimeout(f"The {service} service did not answer in time.") from exc
    except httpx.TransportError as exc:
        raise BadGateway(f"The {service} service sent an invalid response.") from exc


async def _send(client: httpx.AsyncClient, outgoing: httpx.Request) -> httpx.Response:
    # A refused connection sent nothing, so an idempotent request is safe to try once more.
    try:
        return await client.send(outgoing, stream=True)
    except (httpx.ConnectError, httpx.ConnectTimeout):
        if outgoing.method not in IDEMPOTENT:
            raise
    return await client.send(outgoing, stream=True)


def _unavailable(service: str) -> str:
    return f"The {service} service is unavailable; try again shortly."


def _admit(breaker: CircuitBreaker, service: str) -> None:
    """Fail fast while the service's circuit is open."""
    if not breaker.allow():
        wait = max(1, math.ceil(breaker.retry_after_s()))
        metrics.UPSTREAM_REQUESTS.labels(service, "-", "circuit_open").inc()
        raise UpstreamUnavailable(_unavailable(service), headers={"Retry-After": str(wait)})


async def _send_through(
    breaker: CircuitBreaker, client: httpx.AsyncClient, outgoing: httpx.Request, service: str
) -> httpx.Response:
    """Send, telling the breaker whether the service could be reached at all."""
    try:
        with _upstream_errors(service):
            upstream = await _send(client, outgoing)
    except (UpstreamUnavailable, UpstreamTimeout, BadGateway):
        breaker.failed()
        raise
    except BaseException:
        breaker.abandoned()  # the client left, or its body was too large: no verdict
        raise
    breaker.succeeded()  # any HTTP answer, even a 500, means the service is up
    return upstream


async def forward(
    request: Request, service: str, upstreams: Upstreams, outbound: Outbound
) -> Response:
    """Send the request to `service` and relay its response as it arrives."""
    reject_declared_oversize(request, outbound.max_body)
    client = upstreams.client(service)
    breaker = upstreams.breaker(service)
    _admit(breaker, service)
    started = time.perf_counter()
    status = "error"
    try:
        upstream = await _send_through(
            breaker, client, _outgoing(client, request, outbound), service
        )
        status = str(upstream.status_code)
    except AppError as exc:
        status = exc.code
        raise
    except ClientDisconnect:
        status = str(CLIENT_CLOSED_REQUEST)
        return Response(status_code=CLIENT_CLOSED_REQUEST)
    finally:
        metrics.UPSTREAM_REQUESTS.labels(service, request.method, status).inc()
        metrics.UPSTREAM_LATENCY.labels(service).observe(time.perf_counter() - started)
    return UpstreamResponse(upstream, service)


class UpstreamResponse(StreamingResponse):
    """A service's response relayed chunk by chunk; its connection is released however it ends."""

    def __init__(self, upstream: httpx.Response, service: str) -> None:
        super().__init__(_relay(upstream, service), status_code=upstream.status_code)
        decoded = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in upstream.headers.raw]
        self.raw_headers = [
            (k.lower().encode("latin-1"), v.encode("latin-1"))
            for k, v in downstream_response_headers(decoded)
        ]
        self._upstream = upstream

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            with anyio.CancelScope(shield=True):
                await self._upstream.aclose()


async def _relay(upstream: httpx.Response, service: str) -> AsyncIterator[bytes]:
    if upstream.is_stream_consumed:
        # Only an injected transport (httpx.MockTransport in tests) hands over a read response.
        yield upstream.content
        return
    try:
        async for chunk in upstream.aiter_raw():
            yield chunk
    except httpx.HTTPError:
        # Headers are gone already; aborting the connection is the only honest signal left.
        log.warning("the %s service broke off its response", service, exc_info=True)
        raise
