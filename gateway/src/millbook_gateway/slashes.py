"""`/v1/customers/` is `/v1/customers`: the same resource, answered in place, never redirected.

A redirect would have to name an address, and the only one a service knows is
its own internal host and port. So the gateway drops trailing slashes before
anything routes on the path, and the services never redirect at all.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send


def without_trailing_slashes(path: str, raw_path: bytes) -> tuple[str, bytes]:
    """The path and raw path without their trailing slashes; the root stays `/`.

    Only literal slashes at the end of the raw path count: an encoded `%2F`
    is part of a segment's name, not a separator, and is left to the service.
    """
    kept = raw_path.rstrip(b"/")
    dropped = len(raw_path) - len(kept)
    if not dropped or not kept or not path.endswith("/" * dropped):
        return path, raw_path
    return path[:-dropped], kept


class TrailingSlashMiddleware:
    """Rewrites the request's path before routing, so every layer sees the one spelling."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            raw_path: bytes = scope.get("raw_path") or scope["path"].encode()
            path, raw = without_trailing_slashes(scope["path"], raw_path)
            if raw is not raw_path:
                scope = {**scope, "path": path, "raw_path": raw}
        await self.app(scope, receive, send)
