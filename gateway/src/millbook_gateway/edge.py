"""The catch-all route: route, check, authenticate, count, forward.

In that order, so the cheap refusals come first: no owning service (404), a
request over the seed's limits (414/431/422), a bad credential (401); each of
those still spends the client IP's anonymous budget, so guessing keys or tokens
is rate limited too. Then the caller's own budget (429), then the service.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from fastapi import Request, Response
from starlette.routing import Match, Route

from millbook_gateway import quotas
from millbook_gateway.authentication import Authenticator, Caller
from millbook_gateway.limits import RequestLimits, is_batch
from millbook_gateway.proxy import Outbound, Upstreams, forward, read_body
from millbook_gateway.ratelimit import Counters, Decision, Quota
from millbook_gateway.routes import is_public, service_for
from millbook_platform.errors import AppError, MethodNotAllowed, NotFound, RateLimited
from millbook_platform.requestctx import tenant_id_var

METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
# Sign-in bodies are a few hundred bytes; the edge reads them to find the account's email.
SIGN_IN_BODY_BYTES = 64 * 1024


@dataclass(frozen=True)
class Admitted:
    """A request that passed routing, limits and authentication."""

    service: str
    caller: Caller | None  # None on a public route
    quotas: list[Quota]
    body: bytes | None


def own_methods(request: Request) -> list[str]:
    """The methods the gateway's own routes take at this path (its health, docs, metrics);
    empty when none of them has it. The catch-all takes every method, so without this a
    wrong method on the gateway's own path would read as a missing resource."""
    methods: set[str] = set()
    for method in METHODS:
        for route in request.app.router.routes:
            match, child = route.matches({**request.scope, "method": method})
            if match is Match.FULL and child.get("endpoint") is not edge:
                methods.add(method)
                break
    return sorted(methods)


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


@dataclass(frozen=True)
class Edge:
    """Everything the edge route needs, built once per process."""

    upstreams: Upstreams
    authenticator: Authenticator
    counters: Counters
    rules: quotas.QuotaRules
    limits: RequestLimits

    async def handle(self, request: Request) -> Response:
        ip = client_ip(request)
        try:
            admitted = await self._admit(request, ip)
        except AppError as refusal:
            await self._spend(request, quotas.anonymous(ip), instead_of=refusal)
            raise
        await self._spend(request, admitted.quotas)
        body = admitted.body
        path: str = request.scope["path"]
        if is_batch(path) and request.method in ("POST", "PUT", "PATCH"):
            body = await read_body(request, self.limits.body_bytes)
            self.limits.check_batch(body)
        outbound = self._outbound(request, admitted, body)
        return await forward(request, admitted.service, self.upstreams, outbound)

    async def _admit(self, request: Request, ip: str) -> Admitted:
        path: str = request.scope["path"]
        service = service_for(path)
        if service is None or service not in self.upstreams.names():
            allowed = own_methods(request)
            if allowed:
                raise MethodNotAllowed(
                    f"{request.method} is not allowed here; use {', '.join(allowed)}.",
                    headers={"Allow": ", ".join(allowed)},
                )
            raise NotFound("There is no resource at this path.")
        self._check_shape(request)
        if quotas.is_sign_in(request.method, path):
            body = await read_body(request, SIGN_IN_BODY_BYTES)
            return Admitted(service, None, self.rules.sign_in(ip, _email_in(body)), body)
        if is_public(request.method, path):
            return Admitted(service, None, quotas.anonymous(ip), None)
        caller = await self.authenticator.authenticate(request, ip)
        request.state.principal = caller.principal
        tenant_id_var.set(str(caller.principal.tenant_id))
        return Admitted(service, caller, self.rules.for_principal(caller.principal), None)

    def _check_shape(self, request: Request) -> None:
        query: bytes = request.scope.get("query_string", b"")
        raw_path: bytes = request.scope.get("raw_path") or request.url.path.encode()
        self.limits.check_url(raw_path, query)
        self.limits.check_headers(request.scope["headers"])
        self.limits.check_query(query)

    async def _spend(
        self, request: Request, spent: list[Quota], *, instead_of: AppError | None = None
    ) -> Decision:
        """Count the request; 429 when a quota is exhausted (instead of any other refusal)."""
        decision = await self.counters.hit(spent)
        request.state.rate_limit = decision  # RateLimitHeadersMiddleware reports it
        if not decision.allowed:
            message = (
                f"Too many requests: the limit is {decision.limit} per window; "
                f"retry after {decision.retry_after} s."
            )
            retry = {"Retry-After": str(decision.retry_after)}
            raise RateLimited(message, headers=retry) from instead_of
        return decision

    def _outbound(self, request: Request, admitted: Admitted, body: bytes | None) -> Outbound:
        path: str = request.scope["path"]
        return Outbound(
            access_token=admitted.caller.access_token if admitted.caller else None,
            timeout_s=self.limits.timeout_for(path, request.headers.get("content-type")),
            max_body=self.limits.body_limit_for(request.headers.get("content-type")),
            body=body,
        )


def _email_in(body: bytes) -> str | None:
    try:
        return quotas.account_email(json.loads(body))
    except ValueError:
        return None


async def edge(request: Request) -> Response:
    """Forward the request to the service that owns its path."""
    runtime: Edge = request.app.state.edge
    return await runtime.handle(request)


def edge_route() -> Route:
    """The catch-all, as a plain Starlette route: it has no parameters for FastAPI to
    solve or document, and it runs on every proxied request."""
    return Route("/{path:path}", edge, methods=METHODS, include_in_schema=False)
