"""Authorization before validation, even for a body that is not JSON.

FastAPI resolves a route's dependencies (the caller, `needs(...)` scopes, a
resource looked up by its path id) before it validates the body, so a caller who
may not act gets 401, 403 or 404 whatever they sent. One exception: it decodes
the JSON before resolving anything, and a body that does not parse is refused
at once (400), telling a stranger what the route would accept. This route class
defers that refusal: the body reaches validation as an unreadable value, the
dependencies run first, and only a caller who passes them hears that the body
is not JSON.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute, APIRouter

# Stands for a body that did not parse. A builtin, not an instance of a class of ours:
# FastAPI validates bodies with `from_attributes`, which would read any other object
# as a model whose every field is missing (a valid, empty PATCH).
_UNREADABLE = object()


class _DeferredJSONRequest(Request):
    json_error: json.JSONDecodeError | None = None

    async def json(self) -> Any:
        try:
            return await super().json()
        except json.JSONDecodeError as exc:
            self.json_error = exc
            return _UNREADABLE


class AuthorizeFirstRoute(APIRoute):
    """An APIRoute whose malformed-JSON refusal comes after its dependencies."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def authorize_first(request: Request) -> Response:
            deferred = _DeferredJSONRequest(request.scope, request.receive)
            try:
                return await handler(deferred)
            except RequestValidationError as exc:
                if deferred.json_error is None:
                    raise
                raise _not_json(deferred.json_error) from exc

        return authorize_first


def _not_json(error: json.JSONDecodeError) -> RequestValidationError:
    """The error FastAPI itself raises for a body that does not parse."""
    return RequestValidationError(
        [
            {
                "type": "json_invalid",
                "loc": ("body", error.pos),
                "msg": "JSON decode error",
                "input": {},
                "ctx": {"error": error.msg},
            }
        ],
        body=error.doc,
    )


def authorize_first(router: APIRouter) -> None:
    """Make every plain APIRoute of `router` (nested routers too) an AuthorizeFirstRoute.

    Done before the router is included: FastAPI builds an included route's handler
    from the route's own `get_route_handler`, so a service's routers need not name
    the class themselves.
    """
    for route in router.routes:
        nested = getattr(route, "original_router", None)  # a router included in this one
        if isinstance(nested, APIRouter):
            authorize_first(nested)
        elif type(route) is APIRoute:
            route.__class__ = AuthorizeFirstRoute
