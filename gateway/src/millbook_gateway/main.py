"""The gateway app: composition root for `uvicorn millbook_gateway.main:app`."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

import httpx
from fastapi import FastAPI

from millbook_gateway.api_keys import ApiKeyCache, ApiKeyResolver
from millbook_gateway.authentication import Authenticator
from millbook_gateway.caching import NoStoreMiddleware
from millbook_gateway.compression import GzipMiddleware
from millbook_gateway.config import GatewaySettings
from millbook_gateway.cors import Cors
from millbook_gateway.edge import Edge, edge_route
from millbook_gateway.health import health_router
from millbook_gateway.limits import RequestLimits
from millbook_gateway.middleware import RateLimitHeadersMiddleware, SecurityHeadersMiddleware
from millbook_gateway.openapi import MergedOpenApi, docs_router
from millbook_gateway.proxy import ConnectorFactory, Upstreams, keepalive_connector
from millbook_gateway.quotas import QuotaRules
from millbook_gateway.ratelimit import Counters, MemoryCounters
from millbook_gateway.ratelimit_redis import RedisCounters
from millbook_gateway.slashes import TrailingSlashMiddleware
from millbook_platform.app import RequestContextMiddleware
from millbook_platform.auth import JwksVerifier
from millbook_platform.errors import UnhandledErrorMiddleware, install_error_handlers
from millbook_platform.logs import configure_logging
from millbook_platform.revocation_feed import revocation_feed
from millbook_platform.revocations import Revocations
from millbook_platform.tracing import configure_tracing

IDENTITY_TIMEOUT_S = 5.0


def counters_for(settings: GatewaySettings) -> Counters:
    """Shared counters in Redis when configured; otherwise this process counts alone."""
    return RedisCounters.from_url(settings.redis_url) if settings.redis_url else MemoryCounters()


def _lifespan(
    settings: GatewaySettings,
    verifier: JwksVerifier | None,
    transport: httpx.AsyncBaseTransport | None,
    connector: ConnectorFactory,
) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        upstreams = Upstreams(
            settings.upstreams,
            timeout_s=settings.upstream_timeout_s,
            connector=connector,
            breaker_failures=settings.breaker_failures,
            breaker_cool_down_s=settings.breaker_cool_down_s,
        )
        identity = httpx.AsyncClient(
            base_url=settings.identity_url, timeout=IDENTITY_TIMEOUT_S, transport=transport
        )
        app.state.upstreams = upstreams
        app.state.verifier = verifier or JwksVerifier.from_url(settings.identity_url, identity)
        app.state.openapi = MergedOpenApi(upstreams, settings.openapi_cache_s)
        api_keys = ApiKeyCache()
        revocations = Revocations(keep_s=settings.max_access_token_lifetime_s)
        counters = counters_for(settings)
        app.state.edge = Edge(
            upstreams=upstreams,
            authenticator=Authenticator(
                app.state.verifier,
                ApiKeyResolver(identity, app.state.verifier, api_keys),
                revocations,
            ),
            counters=counters,
            rules=QuotaRules(
                settings.rate_limit_overrides,
                settings.enterprise_per_hour,
                settings.sign_in_per_ip_per_minute,
                settings.sign_in_per_email_per_minute,
            ),
            limits=RequestLimits.from_settings(settings),
        )
        app.state.revocations = revocations
        task = None
        if settings.run_background:
            # A revoked or rotated key's cached resolutions go: its secret is asked about again.
            feed = revocation_feed(
                revocations,
                service_name=settings.service_name,
                bootstrap_servers=settings.kafka_bootstrap_servers,
                on_key_changed=api_keys.drop,
            )
            task = asyncio.create_task(feed.run(), name="revocations")
        try:
            yield
        finally:
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await asyncio.wait_for(task, 15)
            await counters.aclose()
            await upstreams.aclose()
            await identity.aclose()

    return lifespan


def build_app(
    settings: GatewaySettings,
    *,
    verifier: JwksVerifier | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    connector: ConnectorFactory = keepalive_connector,
) -> FastAPI:
    """The gateway; tests inject a verifier, identity's httpx transport, the upstream connector."""
    configure_logging(settings.service_name, settings.log_level)
    configure_tracing(settings.service_name, settings.otel_exporter)
    app = FastAPI(
        title="Millbook gateway",
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
        lifespan=_lifespan(settings, verifier, transport, connector),
        redirect_slashes=False,  # TrailingSlashMiddleware answers `/x/` as `/x`, in place
    )
    install_error_handlers(app)
    app.include_router(health_router(settings.service_name))
    app.include_router(docs_router())
    app.router.routes.append(edge_route())  # last: it matches every path
    app.add_middleware(UnhandledErrorMiddleware)
    app.add_middleware(RateLimitHeadersMiddleware)
    app.add_middleware(GzipMiddleware)
    app.add_middleware(NoStoreMiddleware)
    if settings.cors_allowed_origins:
        app.add_middleware(Cors, origins=settings.cors_allowed_origins)
    app.add_middleware(SecurityHeadersMiddleware)
    app.add_middleware(RequestContextMiddleware, service=settings.service_name)
    app.add_middleware(TrailingSlashMiddleware)  # outermost: every layer sees one spelling
    return app


app = build_app(GatewaySettings())
