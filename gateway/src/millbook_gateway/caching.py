"""`Cache-Control: no-store` on every answer a cache must never keep.

That is every answer to a request that carried a credential (it is one
person's or one machine's view of one organization's books), and every answer
of the sign-in routes, which hand out tokens to callers who have none yet. The
gateway sets it, replacing whatever a service said, because only the edge sees
the client's own credential: behind it, every request carries one.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CREDENTIAL_HEADERS = frozenset({b"authorization", b"x-api-key", b"cookie"})
TOKEN_ROUTES = ("/v1/auth/",)
NO_STORE = "no-store"


def must_not_be_stored(path: str, headers: list[tuple[bytes, bytes]]) -> bool:
    """True when the request carried a credential or asked a route that hands out tokens."""
    if path.startswith(TOKEN_ROUTES):
        return True
    return any(name.lower() in CREDENTIAL_HEADERS and value for name, value in headers)


class NoStoreMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not must_not_be_stored(scope["path"], scope["headers"]):
            await self.app(scope, receive, send)
            return

        async def send_no_store(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                MutableHeaders(scope=message)["cache-control"] = NO_STORE
            await send(message)

        await self.app(scope, receive, send_no_store)
