"""The gateway's own health, readiness of every service behind it, and metrics."""

from __future__ import annotations

import asyncio

import aiohttp
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from millbook_gateway.proxy import Upstreams
from millbook_platform.revocations import Revocations

READY_TIMEOUT_S = 2.0


async def upstream_state(upstreams: Upstreams, service: str) -> str:
    """`ready`, `not_ready` (it answered, but not 200) or `unreachable`."""
    try:
        status, _ = await upstreams.get_json(service, "/health/ready", READY_TIMEOUT_S)
    except (aiohttp.ClientError, TimeoutError):
        return "unreachable"
    return "ready" if status == 200 else "not_ready"


async def readiness(upstreams: Upstreams) -> dict[str, str]:
    names = upstreams.names()
    states = await asyncio.gather(*(upstream_state(upstreams, n) for n in names))
    return dict(zip(names, states, strict=True))


def health_router(service_name: str) -> APIRouter:
    router = APIRouter(tags=["health"], include_in_schema=False)

    @router.get("/health")
    async def health() -> dict[str, str]:
        """The gateway process is up."""
        return {"status": "ok", "service": service_name}

    @router.get("/health/live")
    async def live() -> dict[str, str]:
        """The gateway process is alive."""
        return {"status": "ok"}

    @router.get("/health/ready")
    async def ready(request: Request) -> JSONResponse:
        """Ready when every service behind it is, and its revocations are loaded and current."""
        states = await readiness(request.app.state.upstreams)
        revocations: Revocations = request.app.state.revocations
        healthy = revocations.ready() and all(s == "ready" for s in states.values())
        body = {
            "status": "ready" if healthy else "not_ready",
            "upstreams": states,
            "revocations": revocations.state(),
        }
        return JSONResponse(body, status_code=200 if healthy else 503)

    @router.get("/metrics")
    async def metrics_endpoint() -> Response:
        """Prometheus metrics of this process."""
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return router
