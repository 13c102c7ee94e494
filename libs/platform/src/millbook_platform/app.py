"""The app factory every service uses.

It gives each service the same edges: request ids, JSON logs, tracing, the
error envelope, `/health`, `/health/live`, `/health/ready` (database and
Kafka), `/metrics`, the idempotency middleware, and the background tasks (outbox
relay, consumers) that run beside the HTTP app in the same process.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
from fastapi import APIRouter, FastAPI, Request
from fastapi.dependencies.models import Dependant
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute
from opentelemetry.trace import SpanKind
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from millbook_platform import metrics, pdf_rendering
from millbook_platform.auth import JwksFetcher, JwksVerifier, authenticate
from millbook_platform.authorize_first import authorize_first
from millbook_platform.consumer import EventConsumer, Subscription
from millbook_platform.db import create_engine, session_factory
from millbook_platform.edge_checks import EDGE_CHECKS
from millbook_platform.errors import UnhandledErrorMiddleware, install_error_handlers
from millbook_platform.idempotency import IdempotencyMiddleware, purge_expired
from millbook_platform.logs import configure_logging
from millbook_platform.openapi import with_documented_errors
from millbook_platform.outbox import OutboxRelay
from millbook_platform.requestctx import accepted_request_id, request_id_var, tenant_id_var
from millbook_platform.revocation_feed import revocation_feed
from millbook_platform.revocations import Revocations
from millbook_platform.settings import PlatformSettings
from millbook_platform.tracing import configure_tracing, continued_span

log = logging.getLogger("millbook.app")

# Keys live 24 h; an hourly sweep keeps the table to about a day of requests.
IDEMPOTENCY_PURGE_EVERY_S = 3600.0

ConsumerFactory = Callable[[async_sessionmaker[AsyncSession]], EventConsumer]


def consumer_of(
    settings: PlatformSettings, name: str, handled: Mapping[str, Subscription]
) -> ConsumerFactory:
    """The service's consumer group `name`, over the topics of the events it handles."""

    def build(sessions: async_sessionmaker[AsyncSession]) -> EventConsumer:
        return EventConsumer(
            name=name,
            service_name=settings.service_name,
            bootstrap_servers=settings.kafka_bootstrap_servers,
            sessions=sessions,
            subscriptions=handled,
            topics=sorted({sub.event.topic() for sub in handled.values() if sub.event}),
        )

    return build


@dataclass(frozen=True)
class PeriodicJob:
    """A scheduler step run every `every_s` seconds beside the HTTP app (expire, remind, purge).

    `run` must be safe to run twice at once (two processes): lock rows with
    SKIP LOCKED or mark them in the transaction that records the event.
    """

    name: str
    every_s: float
    run: Callable[[async_sessionmaker[AsyncSession]], Awaitable[object]]


@dataclass
class ServiceSpec:
    """What a service plugs into the factory."""

    title: str
    description: str
    routers: Sequence[APIRouter] = ()
    consumers: Sequence[ConsumerFactory] = ()
    publishes: bool = True
    tags: list[dict[str, str]] = field(default_factory=list)
    # Where access-token keys come from; by default identity's JWKS over HTTP.
    # Identity itself reads them from its own database.
    jwks: Callable[[async_sessionmaker[AsyncSession]], JwksFetcher] | None = None
    jobs: Sequence[PeriodicJob] = ()
    # Renders PDFs: its worker processes start with the app, so the first PDF is quick.
    prints_pdfs: bool = False


@dataclass
class Runtime:
    """Everything the process shares; kept on `app.state`."""

    settings: PlatformSettings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    relay: OutboxRelay | None
    consumers: list[EventConsumer]
    revocations: Revocations
    jobs: list[PeriodicJob] = field(default_factory=list)
    tasks: list[asyncio.Task[None]] = field(default_factory=list)


def create_app(settings: PlatformSettings, spec: ServiceSpec) -> FastAPI:
    configure_logging(settings.service_name, settings.log_level)
    configure_tracing(settings.service_name, settings.otel_exporter)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runtime = _build_runtime(settings, spec)
        app.state.runtime = runtime
        app.state.sessions = runtime.sessions
        app.state.revocations = runtime.revocations
        jwks_client = httpx.AsyncClient(timeout=5.0)
        app.state.verifier = (
            JwksVerifier(spec.jwks(runtime.sessions))
            if spec.jwks
            else JwksVerifier.from_url(settings.identity_url, jwks_client)
        )
        if settings.run_background:
            _start_background(runtime)
        if spec.prints_pdfs:
            # A served process starts its renderer now; an app under test when it first prints.
            pdf_rendering.start(
                workers=settings.pdf_render_workers,
                deadline_s=settings.pdf_render_deadline_s,
                prestart=settings.run_background,
            )
        try:
            yield
        finally:
            pdf_rendering.close()
            await _stop_background(runtime)
            await jwks_client.aclose()
            await runtime.engine.dispose()

    app = FastAPI(
        title=spec.title,
        description=spec.description,
        version="0.1.0",
        lifespan=lifespan,
        openapi_tags=spec.tags or None,
        redirect_slashes=False,  # the gateway maps `/x/` to `/x`; a redirect would name this host
        separate_input_output_schemas=False,
    )
    install_error_handlers(app)
    app.include_router(_health_router(settings))
    for router in spec.routers:
        document_security(router)
        authorize_first(router)  # a malformed body is refused after the caller's checks
        app.include_router(router, dependencies=EDGE_CHECKS)
    _with_security_schemes(app)
    with_documented_errors(app)
    app.add_middleware(UnhandledErrorMiddleware)
    app.add_middleware(IdempotencyMiddleware)
    app.add_middleware(RequestContextMiddleware, service=settings.service_name)
    return app


SECURITY_SCHEMES = {
    "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
    "apiKeyAuth": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
}


def document_security(router: APIRouter) -> None:
    """Name each operation's credential and scopes in the OpenAPI document.

    Operations that depend on the caller get `security` (bearer or API key) and
    `x-scopes` with the scopes their `needs(...)` dependencies require. Done on the
    routes before they are included, so it holds under any prefix.
    """
    for route in router.routes:
        nested = getattr(route, "original_router", None)  # a router included in this one
        if isinstance(nested, APIRouter):
            document_security(nested)
        elif isinstance(route, APIRoute) and _authenticated(route.dependant):
            scopes = sorted(set(_scopes(route.dependant)))
            route.openapi_extra = {
                **(route.openapi_extra or {}),
                "security": [{"bearerAuth": scopes}, {"apiKeyAuth": scopes}],
                "x-scopes": scopes,
            }


def _with_security_schemes(app: FastAPI) -> None:
    build = app.openapi

    def openapi() -> dict[str, Any]:
        schema = build()
        schema.setdefault("components", {})["securitySchemes"] = SECURITY_SCHEMES
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def _scopes(dependant: Dependant) -> list[str]:
    found = list(getattr(dependant.call, "required_scopes", ()))
    for child in dependant.dependencies:
        found += _scopes(child)
    return found


def _authenticated(dependant: Dependant) -> bool:
    return dependant.call is authenticate or any(
        _authenticated(child) for child in dependant.dependencies
    )


def _build_runtime(settings: PlatformSettings, spec: ServiceSpec) -> Runtime:
    engine = create_engine(settings.database_url, pool_size=settings.db_pool_size)
    sessions = session_factory(engine)
    relay = (
        OutboxRelay(
            engine,
            database_url=settings.database_url,
            bootstrap_servers=settings.kafka_bootstrap_servers,
            service_name=settings.service_name,
        )
        if spec.publishes
        else None
    )
    consumers = [factory(sessions) for factory in spec.consumers]
    for consumer in consumers:
        consumer.join_as(settings.instance_id)
    revocations = Revocations(keep_s=settings.max_access_token_lifetime_s)
    if settings.run_background:
        # Every service refuses what the gateway refuses, for callers that reach it directly.
        consumers.append(
            revocation_feed(
                revocations,
                service_name=settings.service_name,
                bootstrap_servers=settings.kafka_bootstrap_servers,
            )
        )
    jobs = [*spec.jobs, PeriodicJob("idempotency-purge", IDEMPOTENCY_PURGE_EVERY_S, purge_expired)]
    return Runtime(settings, engine, sessions, relay, consumers, revocations, jobs=jobs)


def _start_background(runtime: Runtime) -> None:
    if runtime.relay is not None:
        runtime.tasks.append(asyncio.create_task(runtime.relay.run(), name="outbox-relay"))
    for consumer in runtime.consumers:
        runtime.tasks.append(asyncio.create_task(consumer.run(), name=f"consumer-{consumer.name}"))
    for job in runtime.jobs:
        runtime.tasks.append(
            asyncio.create_task(_repeat(job, runtime.sessions), name=f"job-{job.name}")
        )
    for task in runtime.tasks:
        task.add_done_callback(_report_death)


async def _repeat(job: PeriodicJob, sessions: async_sessionmaker[AsyncSession]) -> None:
    while True:
        try:
            await job.run(sessions)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("job %s failed; it runs again in %.0fs", job.name, job.every_s)
        await asyncio.sleep(job.every_s)


def _report_death(task: asyncio.Task[None]) -> None:
    # Relay and consumers restart themselves; reaching here is a bug worth a loud log,
    # and readiness turns red because the task no longer polls or publishes.
    if not task.cancelled() and task.exception() is not None:
        log.error("background task %s died", task.get_name(), exc_info=task.exception())


async def _stop_background(runtime: Runtime) -> None:
    for task in runtime.tasks:
        task.cancel()
    for task in runtime.tasks:
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await asyncio.wait_for(task, 15)


CONSUMER_STALL_S = 60.0


def _health_router(settings: PlatformSettings) -> APIRouter:
    router = APIRouter(tags=["health"], include_in_schema=False)

    @router.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok", "service": settings.service_name}

    @router.get("/health/live")
    async def live() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/health/ready")
    async def ready(request: Request) -> JSONResponse:
        runtime: Runtime = request.app.state.runtime
        checks = {"database": await _database_ok(runtime.engine), "kafka": _kafka_ok(runtime)}
        healthy = all(checks.values()) and runtime.revocations.ready()
        body = {
            "status": "ready" if healthy else "not_ready",
            "checks": checks,
            "revocations": runtime.revocations.state(),
        }
        return JSONResponse(body, status_code=200 if healthy else 503)

    @router.get("/metrics")
    async def metrics_endpoint() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return router


async def _database_ok(engine: AsyncEngine) -> bool:
    try:
        async with engine.connect() as conn:
            await asyncio.wait_for(conn.execute(text("SELECT 1")), 2.0)
        return True
    except Exception:
        return False


def _kafka_ok(runtime: Runtime) -> bool:
    if not runtime.settings.run_background:
        return True
    if runtime.relay is not None and not runtime.relay.connected:
        return False
    now = time.time()
    return all(now - c.last_poll_at < CONSUMER_STALL_S for c in runtime.consumers)


class RequestContextMiddleware:
    """Request id in and out, a server span, JSON log context and HTTP metrics."""

    def __init__(self, app: ASGIApp, service: str) -> None:
        self.app = app
        self.service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        request_id = accepted_request_id(headers.get("x-request-id"))
        rid_token = request_id_var.set(request_id)
        tenant_token = tenant_id_var.set(None)
        status = {"code": 500}
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", request_id.encode())]
            await send(message)

        name = f"{scope['method']} {scope['path']}"
        try:
            with continued_span(name, headers.items(), SpanKind.SERVER):
                await self.app(scope, receive, send_with_id)
        finally:
            self._observe(scope, status["code"], time.perf_counter() - started)
            request_id_var.reset(rid_token)
            tenant_id_var.reset(tenant_token)

    def _observe(self, scope: Scope, status: int, elapsed: float) -> None:
        route = scope.get("route")
        template = getattr(route, "path", None) or "unmatched"
        method = scope["method"]
        metrics.HTTP_REQUESTS.labels(self.service, method, template, str(status)).inc()
        metrics.HTTP_LATENCY.labels(self.service, method, template).observe(elapsed)


__all__ = ["ConsumerFactory", "PeriodicJob", "Runtime", "ServiceSpec", "consumer_of", "create_app"]
