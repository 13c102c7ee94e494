"""The gateway app: composition root for `uvicorn millbook_gateway.main:app`."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

import httpx
from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from millbook_gateway.config import GatewaySettings
from millbook_gateway.edge import edge_router
from millbook_gateway.health import health_router
from millbook_gateway.middleware import SecurityHeadersMiddleware
from millbook_gateway.openapi import MergedOpenApi, docs_router
from millbook_gateway.proxy import Upstreams
from millbook_platform.app import RequestContextMiddleware
from millbook_platform.auth import JwksVerifier
from millbook_platform.errors import UnhandledErrorMiddleware, install_error_handlers
from millbook_platform.logs import configure_logging
from millbook_platform.tracing import configure_tracing

EXPOSED_HEADERS = [
    "X-Request-Id",
    "X-RateLimit-Limit",
    "X-RateLimit-Remaining",
    "X-RateLimit-Reset",
]


def _lifespan(
    settings: GatewaySettings,
    verifier: JwksVerifier | None,
    transport: httpx.AsyncBaseTransport | None,
) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        upstreams = Upstreams(
            settings.upstreams, timeout_s=settings.upstream_timeout_s, transport=transport
        )
        jwks_client = httpx.AsyncClient(timeout=5.0, transport=transport)
        app.state.upstreams = upstreams
        app.state.verifier = verifier or JwksVerifier.from_url(settings.identity_url, jwks_client)
        app.state.openapi = MergedOpenApi(upstreams, settings.openapi_cache_s)
        try:
            yield
        finally:
            await upstreams.aclose()
            await jwks_client.aclose()

    return lifespan


def build_app(
    settings: GatewaySettings,
    *,
    verifier: JwksVerifier | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> FastAPI:
    """The gateway; tests inject a verifier and an httpx transport."""
    configure_logging(settings.service_name, settings.log_level)
    configure_tracing(settings.service_name, settings.otel_exporter)
    app = FastAPI(
        title="Millbook gateway",
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
        lifespan=_lifespan(settings, verifier, transport),
    )
    install_error_handlers(app)
    app.include_router(health_router(settings.service_name))
    app.include_router(docs_router())
    app.include_router(edge_router(settings.max_body_bytes))
    app.add_middleware(UnhandledErrorMiddleware)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["*"],
            allow_headers=["*"],
            expose_headers=EXPOSED_HEADERS,
        )
    app.add_middleware(SecurityHeadersMiddleware)
    app.add_middleware(RequestContextMiddleware, service=settings.service_name)
    return app


app = build_app(GatewaySettings())
