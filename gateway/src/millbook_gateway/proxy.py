"""Forwarding a request to its service and streaming the answer back, both ways unbuffered."""

from __future__ import annotations

import logging
import math
import time
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import aiohttp
import yarl
from fastapi import Request
from fastapi.responses import Response, StreamingResponse
from multidict import CIMultiDict
from starlette.requests import ClientDisconnect
from starlette.types import Receive, Scope, Send

from millbook_gateway import metrics
from millbook_gateway.breaker import CircuitBreaker
from millbook_gateway.errors import BadGateway
from millbook_gateway.etags import with_validator
from millbook_gateway.headers import downstream_response_headers, upstream_request_headers
from millbook_gateway.locations import internal_origins, without_internal_locations
from millbook_platform.errors import AppError, PayloadTooLarge, UpstreamTimeout, UpstreamUnavailable
from millbook_platform.requestctx import current_request_id
from millbook_platform.tracing import current_traceparent

log = logging.getLogger("millbook.gateway.proxy")

IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
# Below uvicorn's 5 s keep-alive, so the gateway never reuses a connection the service is closing.
KEEPALIVE_EXPIRY_S = 4.0
MAX_CONNECTIONS = 200
CONNECT_TIMEOUT_S = 5.0
# aiohttp would add these; the gateway forwards the client's own, or none.
SKIPPED_AUTO_HEADERS = ("User-Agent", "Accept", "Accept-Encoding", "Content-Type")
CLIENT_CLOSED_REQUEST = 499
# Answers up to this size (declared by Content-Length) are read whole and sent in one
# piece; larger or unsized ones (PDFs, exports, downloads) stream through.
BUFFERED_BODY_BYTES = 64 * 1024
# A JSON answer to a GET up to this size is read whole too, so it can carry an ETag.
VALIDATED_BODY_BYTES = 1024 * 1024


ConnectorFactory = Callable[[], aiohttp.BaseConnector]


def keepalive_connector() -> aiohttp.BaseConnector:
    return aiohttp.TCPConnector(limit=MAX_CONNECTIONS, keepalive_timeout=KEEPALIVE_EXPIRY_S)


class Upstreams:
    """One pooled keep-alive HTTP session and one circuit breaker per service.

    aiohttp, for its C HTTP parser and constant-time pool: per proxied request it
    costs a fifth of the CPU httpx does, and the gateway's CPU is taken from the
    services it fronts on a small machine.
    """

    def __init__(
        self,
        urls: Mapping[str, str],
        *,
        timeout_s: float,
        connector: ConnectorFactory = keepalive_connector,
        breaker_failures: int = 5,
        breaker_cool_down_s: float = 10.0,
    ) -> None:
        self.urls = {name: url.rstrip("/") for name, url in urls.items()}
        self.internal = internal_origins(self.urls)  # never named to a client
        self._timeout_s = timeout_s
        self._connector = connector
        self._sessions: dict[str, aiohttp.ClientSession] = {}
        self._breakers = {
            name: CircuitBreaker(failures=breaker_failures, cool_down_s=breaker_cool_down_s)
            for name in urls
        }

    def session(self, service: str) -> aiohttp.ClientSession:
        """The service's session, made on first use (it must be made inside the event loop)."""
        session = self._sessions.get(service)
        if session is None:
            session = aiohttp.ClientSession(
                connector=self._connector(),
                cookie_jar=aiohttp.DummyCookieJar(),  # never carry one client's cookies to another
                auto_decompress=False,  # bytes pass through as the service encoded them
                timeout=_timeouts(self._timeout_s),
                skip_auto_headers=SKIPPED_AUTO_HEADERS,
            )
            self._sessions[service] = session
        return session

    def url(self, service: str, raw_target: bytes) -> yarl.URL:
        """The service's URL for a raw path and query, percent-encoding kept as sent."""
        return yarl.URL(self.urls[service] + raw_target.decode("latin-1"), encoded=True)

    async def get_json(self, service: str, path: str, timeout_s: float) -> tuple[int, Any]:
        """A control-plane GET (health, OpenAPI): the status and the JSON body, or None."""
        timeout = aiohttp.ClientTimeout(total=timeout_s)
        async with self.session(service).get(
            self.url(service, path.encode()), timeout=timeout
        ) as r:
            try:
                return r.status, await r.json(content_type=None)
            except ValueError:
                return r.status, None

    def breaker(self, service: str) -> CircuitBreaker:
        return self._breakers[service]

    def names(self) -> list[str]:
        return list(self.urls)

    async def aclose(self) -> None:
        for session in self._sessions.values():
            await session.close()
        self._sessions.clear()


def _timeouts(timeout_s: float) -> aiohttp.ClientTimeout:
    # Per operation, as a client expects: connecting, and each wait for the service's bytes.
    return aiohttp.ClientTimeout(
        total=None, sock_connect=min(timeout_s, CONNECT_TIMEOUT_S), sock_read=timeout_s
    )


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


def _raw_target(request: Request) -> bytes:
    # The raw path keeps the client's percent-encoding exactly as it was sent.
    raw_path: bytes = request.scope.get("raw_path") or request.url.path.encode()
    query: bytes = request.scope.get("query_string", b"")
    return raw_path + (b"?" + query if query else b"")


@dataclass(frozen=True)
class Outbound:
    """How one request leaves the gateway."""

    access_token: str | None  # the verified credential; None on a public route
    timeout_s: float
    max_body: int
    body: bytes | None = None  # set when the edge had to read the body already


class _StreamedBody:
    """The client's body streamed to the service, remembering why it stopped early.

    aiohttp writes the body in a task of its own and reports its failure as a
    connection error; the edge needs the cause (the client left, or went over
    the size limit) to answer truthfully.
    """

    def __init__(self, request: Request, limit: int) -> None:
        self._chunks = _limited(request.stream(), limit)
        self.failure: BaseException | None = None

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self._chunks:
                yield chunk
        except BaseException as exc:
            self.failure = exc
            raise


def _headers(request: Request, outbound: Outbound) -> CIMultiDict[str]:
    raw = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in request.headers.raw]
    return CIMultiDict(
        upstream_request_headers(
            raw,
            request_id=current_request_id(),
            traceparent=current_traceparent(),
            client_host=request.client.host if request.client else None,
            scheme=request.url.scheme,
            access_token=outbound.access_token,
        )
    )


@contextmanager
def _upstream_errors(service: str, body: _StreamedBody | None) -> Iterator[None]:
    """Transport failures become the envelope a client can act on."""
    try:
        yield
    except (aiohttp.ClientError, TimeoutError) as exc:
        if body is not None and body.failure is not None:
            raise body.failure from exc  # the client's side failed, not the service
        if isinstance(exc, TimeoutError | aiohttp.ServerTimeoutError):
            raise UpstreamTimeout(f"The {service} service did not answer in time.") from exc
        if isinstance(exc, aiohttp.ClientConnectorError | aiohttp.ClientOSError):
            raise UpstreamUnavailable(_unavailable(service)) from exc
        raise BadGateway(f"The {service} service sent an invalid response.") from exc


async def _send(
    session: aiohttp.ClientSession,
    method: str,
    url: yarl.URL,
    headers: CIMultiDict[str],
    body: bytes | _StreamedBody | None,
    timeout_s: float,
) -> aiohttp.ClientResponse:
    async def attempt() -> aiohttp.ClientResponse:
        return await session.request(
            method,
            url,
            headers=headers,
            data=body,
            allow_redirects=False,
            timeout=_timeouts(timeout_s),
        )

    # A refused connection sent nothing, so an idempotent request is safe to try once more.
    try:
        return await attempt()
    except aiohttp.ClientConnectorError:
        if method not in IDEMPOTENT:
            raise
    return await attempt()


def _unavailable(service: str) -> str:
    return f"The {service} service is unavailable; try again shortly."


def _admit(breaker: CircuitBreaker, service: str) -> None:
    """Fail fast while the service's circuit is open."""
    if not breaker.allow():
        wait = max(1, math.ceil(breaker.retry_after_s()))
        metrics.UPSTREAM_REQUESTS.labels(service, "-", "circuit_open").inc()
        raise UpstreamUnavailable(_unavailable(service), headers={"Retry-After": str(wait)})


async def _send_through(
    upstreams: Upstreams, service: str, request: Request, outbound: Outbound
) -> aiohttp.ClientResponse:
    """Send, telling the breaker whether the service could be reached at all."""
    breaker = upstreams.breaker(service)
    streamed = None
    body: bytes | _StreamedBody | None = outbound.body
    if body is None and _has_body(request):
        body = streamed = _StreamedBody(request, outbound.max_body)
    try:
        with _upstream_errors(service, streamed):
            upstream = await _send(
                upstreams.session(service),
                request.method,
                upstreams.url(service, _raw_target(request)),
                _headers(request, outbound),
                body,
                outbound.timeout_s,
            )
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
    _admit(upstreams.breaker(service), service)
    started = time.perf_counter()
    status = "error"
    try:
        upstream = await _send_through(upstreams, service, request, outbound)
        status = str(upstream.status)
    except AppError as exc:
        status = exc.code
        raise
    except ClientDisconnect:
        status = str(CLIENT_CLOSED_REQUEST)
        return Response(status_code=CLIENT_CLOSED_REQUEST)
    finally:
        metrics.UPSTREAM_REQUESTS.labels(service, request.method, status).inc()
        metrics.UPSTREAM_LATENCY.labels(service).observe(time.perf_counter() - started)
    if _is_small(upstream) or _is_validated(request.method, upstream):
        response = await _buffered(upstream, service, upstreams.internal)
        return with_validator(request.method, request.headers, response)
    return UpstreamResponse(upstream, service, upstreams.internal)


def _relayed_headers(
    upstream: aiohttp.ClientResponse, internal: frozenset[str]
) -> list[tuple[bytes, bytes]]:
    decoded = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in upstream.raw_headers]
    relayed = without_internal_locations(downstream_response_headers(decoded), internal)
    return [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in relayed]


def _is_small(upstream: aiohttp.ClientResponse) -> bool:
    length = upstream.content_length
    return length is not None and length <= BUFFERED_BODY_BYTES


def _is_validated(method: str, upstream: aiohttp.ClientResponse) -> bool:
    """A JSON resource read by GET, small enough to hold while its ETag is computed."""
    length = upstream.content_length
    return (
        method == "GET"
        and upstream.status == 200
        and upstream.content_type == "application/json"
        and length is not None
        and length <= VALIDATED_BODY_BYTES
    )


async def _buffered(
    upstream: aiohttp.ClientResponse, service: str, internal: frozenset[str]
) -> Response:
    """A small answer read whole: no streaming machinery for the common JSON response."""
    try:
        with _upstream_errors(service, None):
            body = await upstream.read()
    finally:
        upstream.release()
    response = Response(body, status_code=upstream.status)
    response.raw_headers = _relayed_headers(upstream, internal)
    return response


class UpstreamResponse(StreamingResponse):
    """A service's response relayed chunk by chunk; its connection is released however it ends."""

    def __init__(
        self, upstream: aiohttp.ClientResponse, service: str, internal: frozenset[str]
    ) -> None:
        super().__init__(_relay(upstream, service), status_code=upstream.status)
        self.raw_headers = _relayed_headers(upstream, internal)
        self._upstream = upstream

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            # Read to the end, the connection goes back to the pool; cut short, it is closed.
            if self._upstream.content.at_eof():
                self._upstream.release()
            else:
                self._upstream.close()


async def _relay(upstream: aiohttp.ClientResponse, service: str) -> AsyncIterator[bytes]:
    try:
        async for chunk in upstream.content.iter_any():
            yield chunk
    except (aiohttp.ClientError, TimeoutError):
        # Headers are gone already; aborting the connection is the only honest signal left.
        log.warning("the %s service broke off its response", service, exc_info=True)
        raise
