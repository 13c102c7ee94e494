"""Authorization before validation: a route's dependencies answer before its body's rules.

FastAPI resolves dependencies before validating the body, but decodes JSON before
either; `AuthorizeFirstRoute` defers the malformed-JSON refusal behind the dependencies.
"""

from typing import Annotated

import pytest
from fastapi import APIRouter, Body, Depends, FastAPI, Header
from fastapi.testclient import TestClient
from pydantic import BaseModel, ConfigDict

from millbook_platform.authorize_first import authorize_first
from millbook_platform.errors import PermissionDenied, install_error_handlers

MALFORMED = {"content": b'{"name": ', "headers": {"Content-Type": "application/json"}}
INVALID = {"json": {"name": 7, "unknown": True}}


class Settings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = None  # every field optional: an empty object is a valid PATCH


def scope_writer(x_scope: Annotated[str, Header()] = "") -> str:
    if x_scope != "settings:write":
        raise PermissionDenied("This request needs the scope settings:write.")
    return x_scope


def client(*, route_class_applied: bool = True) -> TestClient:
    router = APIRouter()

    @router.patch("/settings")
    async def patch(caller: Annotated[str, Depends(scope_writer)], body: Settings) -> dict:
        return body.model_dump()

    @router.post("/notes")
    async def note(
        caller: Annotated[str, Depends(scope_writer)],
        body: Annotated[Settings | None, Body()] = None,
    ) -> dict:
        return {"body": body.model_dump() if body else None}

    if route_class_applied:
        authorize_first(router)
    app = FastAPI()
    install_error_handlers(app)
    app.include_router(router)
    return TestClient(app)


@pytest.mark.parametrize("bad", [INVALID, MALFORMED], ids=["invalid", "malformed"])
@pytest.mark.parametrize("path", ["/settings", "/notes"])
def test_a_caller_without_the_scope_is_forbidden_whatever_the_body(path, bad):
    method = "PATCH" if path == "/settings" else "POST"
    response = client().request(method, path, **bad)

    assert response.status_code == 403, response.text
    assert response.json()["error"]["code"] == "PERMISSION_DENIED"


def test_without_the_route_class_fastapi_refuses_malformed_json_before_the_scope():
    # What the route class exists for: FastAPI alone answers a stranger with the body's fault.
    response = client(route_class_applied=False).patch("/settings", **MALFORMED)
    assert response.status_code == 400


@pytest.mark.parametrize("path", ["/settings", "/notes"])
def test_a_caller_with_the_scope_hears_that_the_body_is_not_json(path):
    method = "PATCH" if path == "/settings" else "POST"
    headers = {**MALFORMED["headers"], "X-Scope": "settings:write"}

    response = client().request(method, path, content=MALFORMED["content"], headers=headers)

    # Never an empty model read from the unparsable body.
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == "MALFORMED_REQUEST"
    assert error["details"] == [{"field": "body", "message": "not valid JSON near character 9"}]


def test_a_caller_with_the_scope_gets_a_valid_body_through():
    response = client().patch(
        "/settings", json={"name": "Acme"}, headers={"X-Scope": "settings:write"}
    )
    assert response.status_code == 200
    assert response.json() == {"name": "Acme"}
