"""The merged OpenAPI document (cached) and Swagger UI over it."""

from __future__ import annotations

import asyncio
import time

import aiohttp
from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse

from millbook_gateway.openapi_merge import Document, merge_openapi
from millbook_gateway.proxy import Upstreams

FETCH_TIMEOUT_S = 2.0
# An incomplete document is rebuilt sooner, so a service that comes back shows up quickly.
INCOMPLETE_TTL_S = 5.0


async def fetch_openapi(upstreams: Upstreams, service: str) -> Document | None:
    """A service's own document, or None when it cannot be had right now."""
    try:
        status, doc = await upstreams.get_json(service, "/openapi.json", FETCH_TIMEOUT_S)
    except (aiohttp.ClientError, TimeoutError):
        return None
    return doc if status == 200 and isinstance(doc, dict) else None


class MergedOpenApi:
    """The merged document, rebuilt at most once per `ttl_s`."""

    def __init__(self, upstreams: Upstreams, ttl_s: float) -> None:
        self._upstreams = upstreams
        self._ttl_s = ttl_s
        self._doc: Document | None = None
        self._expires_at = 0.0
        self._lock = asyncio.Lock()

    async def document(self) -> Document:
        async with self._lock:
            if self._doc is None or time.monotonic() >= self._expires_at:
                self._doc = await self._build()
                ttl = self._ttl_s if not self._doc["info"]["x-unavailable"] else INCOMPLETE_TTL_S
                self._expires_at = time.monotonic() + min(ttl, self._ttl_s)
            return self._doc

    async def _build(self) -> Document:
        names = self._upstreams.names()
        fetched = await asyncio.gather(*(fetch_openapi(self._upstreams, n) for n in names))
        docs = {name: doc for name, doc in zip(names, fetched, strict=True) if doc is not None}
        missing = [name for name, doc in zip(names, fetched, strict=True) if doc is None]
        return merge_openapi(docs, unavailable=missing)


def docs_router() -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/openapi.json")
    async def openapi(request: Request) -> JSONResponse:
        """The OpenAPI document of every service behind the gateway."""
        merged: MergedOpenApi = request.app.state.openapi
        return JSONResponse(await merged.document())

    @router.get("/docs")
    async def docs() -> HTMLResponse:
        """Swagger UI over the merged document."""
        return get_swagger_ui_html(openapi_url="/openapi.json", title="Millbook API")

    return router
