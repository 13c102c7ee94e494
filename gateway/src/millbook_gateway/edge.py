"""The catch-all route: find the owning service, authenticate at the edge, forward."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from millbook_gateway.authentication import authenticate
from millbook_gateway.proxy import Upstreams, forward
from millbook_gateway.routes import is_public, service_for
from millbook_platform.errors import NotFound
from millbook_platform.requestctx import tenant_id_var

METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


def edge_router(max_body_bytes: int) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.api_route("/{path:path}", methods=METHODS)
    async def edge(request: Request) -> Response:
        """Forward the request to the service that owns its path."""
        upstreams: Upstreams = request.app.state.upstreams
        path: str = request.scope["path"]
        service = service_for(path)
        if service is None or service not in upstreams.names():
            raise NotFound("There is no resource at this path.")
        if not is_public(request.method, path):
            principal = await authenticate(request, request.app.state.verifier)
            request.state.principal = principal
            tenant_id_var.set(str(principal.tenant_id))
        return await forward(request, service, upstreams, max_body_bytes)

    return router
