"""Forwarding a request to its service and streaming the answer back, both ways unbuffered."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import contextmanager

import anyio
import httpx
from fastapi import Request
from fastapi.responses import Response, StreamingResponse
from starlette.requests import ClientDisconnect
from starlette.types import Receive, Scope, Send

from millbook_gateway import metrics
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
    """One pooled keep-alive HTTP client per service."""

    def __init__(
        self,
        urls: Mapping[str, str],
        *,
        timeout_s: float,
        transport: httpx.AsyncBaseTransport | None = None,
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

    def client(self, service: str) -> httpx.AsyncClient:
        return self._clients[service]

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


def _has_body(request: Request) -> bool:
    headers = request.headers
    return "transfer-encoding" in headers or headers.get("content-length", "0") != "0"


def _upstream_url(client: httpx.AsyncClient, request: Request) -> httpx.URL:
    # The raw path keeps the client's percent-encoding exactly as it was sent.
    raw_path: bytes = request.scope.get("raw_path") or request.url.path.encode()
    query: bytes = request.scope.get("query_string", b"")
    base = client.base_url.raw_path.rstrip(b"/")
    return client.base_url.copy_with(raw_path=base + raw_path + (b"?" + query if query else b""))


def _outgoing(client: httpx.AsyncClient, request: Request, max_body: int) -> httpx.Request:
    raw = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in request.headers.raw]
    headers = upstream_request_headers(
        raw,
        request_id=current_request_id(),
        traceparent=current_traceparent(),
        client_host=request.client.host if request.client else None,
        scheme=request.url.scheme,
    )
    body = _limited(request.stream(), max_body) if _has_body(request) else None
    return client.build_request(
        request.method,
        _upstream_url(client, request),
        headers=[(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers],
        content=body,
    )


@contextmanager
def _upstream_errors(service: str) -> Iterator[None]:
    """Transport failures become the envelope a client can act on."""
    try:
        yield
    except (httpx.ConnectError, httpx.ConnectTimeout, httpx.NetworkError) as exc:
        message = f"The {service} service is unavailable; try again shortly."
        raise UpstreamUnavailable(message) from exc
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


async def forward(request: Request, service: str, upstreams: Upstreams, max_body: int) -> Response:
    """Send the request to `service` and relay its response as it arrives."""
    reject_declared_oversize(request, max_body)
    client = upstreams.client(service)
    started = time.perf_counter()
    status = "error"
    try:
        with _upstream_errors(service):
            upstream = await _send(client, _outgoing(client, request, max_body))
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
