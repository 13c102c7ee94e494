"""A service's OpenAPI document tells the truth: short ids, the real error envelope, headers."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI
from pydantic import BaseModel

from millbook_platform.app import document_security
from millbook_platform.auth import authenticate
from millbook_platform.openapi import error_statuses, operation_id, with_documented_errors
from millbook_platform.pagination import DataResponse, ListResponse


class Widget(BaseModel):
    name: str
    tags: list[str] = []


Caller = Annotated[Any, Depends(authenticate)]


def documented_app() -> FastAPI:
    router = APIRouter(prefix="/v1/widgets")

    @router.get("", response_model=ListResponse[Widget])
    async def list_widgets(_: Caller) -> Any:
        """The widgets."""

    @router.post("", status_code=201, response_model=DataResponse[Widget])
    async def create_widget(body: Widget, _: Caller) -> Any:
        """Make a widget."""

    @router.get("/{widget_id}", response_model=DataResponse[Widget])
    async def get_widget(widget_id: str, _: Caller) -> Any:
        """One widget."""

    @router.patch("/{widget_id}", response_model=DataResponse[Widget])
    async def update_widget(widget_id: str, body: Widget, _: Caller) -> Any:
        """Change a widget."""

    @router.post("/{widget_id}/send", response_model=DataResponse[Widget])
    async def send_widget(widget_id: str, _: Caller) -> Any:
        """Send a widget."""

    @router.get("/report/by-colour")
    async def widgets_by_colour(_: Caller) -> dict[str, int]:
        """A report."""
        return {}

    public = APIRouter()

    @public.post("/v1/auth/login", responses={401: {"description": "Wrong password."}})
    async def login(body: Widget) -> dict[str, str]:
        """Log in."""
        return {}

    app = FastAPI(separate_input_output_schemas=False)
    for r in (router, public):
        document_security(r)
        app.include_router(r)
    with_documented_errors(app)
    return app


def operations(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        f"{method.upper()} {path}": operation
        for path, item in doc["paths"].items()
        for method, operation in item.items()
    }


def test_operation_ids_are_resource_then_action() -> None:
    ids = {key: op["operationId"] for key, op in operations(documented_app().openapi()).items()}
    assert ids == {
        "GET /v1/widgets": "widgets_list",
        "POST /v1/widgets": "widgets_create",
        "GET /v1/widgets/{widget_id}": "widgets_get",
        "PATCH /v1/widgets/{widget_id}": "widgets_update",
        "POST /v1/widgets/{widget_id}/send": "widgets_send",
        "GET /v1/widgets/report/by-colour": "widgets_report_by_colour",
        "POST /v1/auth/login": "auth_login",
    }


def test_every_error_is_documented_as_the_error_envelope_not_fastapis() -> None:
    doc = documented_app().openapi()
    schemas = doc["components"]["schemas"]
    assert "HTTPValidationError" not in schemas
    assert "ValidationError" not in schemas
    assert set(schemas["ErrorResponse"]["properties"]) == {"error"}
    assert set(schemas["ErrorBody"]["properties"]) == {"code", "message", "details", "request_id"}
    for key, operation in operations(doc).items():
        for status, response in operation["responses"].items():
            if status.startswith("4"):
                schema = response["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/ErrorResponse"}, (key, status)


def test_statuses_follow_what_the_route_can_answer() -> None:
    ops = operations(documented_app().openapi())
    codes = {key: sorted(op["responses"]) for key, op in ops.items()}
    assert codes["GET /v1/widgets"] == ["200", "401", "403", "422"]
    assert codes["POST /v1/widgets"] == ["201", "400", "401", "403", "404", "409", "413", "422"]
    assert codes["GET /v1/widgets/{widget_id}"] == ["200", "401", "403", "404", "422"]
    assert codes["POST /v1/widgets/{widget_id}/send"] == ["200", "401", "403", "404", "409", "422"]
    assert codes["POST /v1/auth/login"] == ["200", "400", "401", "404", "409", "413", "422"]


def test_every_response_names_its_request_id_and_every_post_its_idempotency_key() -> None:
    for key, operation in operations(documented_app().openapi()).items():
        for response in operation["responses"].values():
            assert "X-Request-Id" in response["headers"], key
        headers = [p["name"] for p in operation.get("parameters", []) if p["in"] == "header"]
        assert ("Idempotency-Key" in headers) == key.startswith("POST"), key


def test_one_schema_per_model_without_input_output_twins() -> None:
    schemas = documented_app().openapi()["components"]["schemas"]
    assert "Widget" in schemas
    assert not [name for name in schemas if name.endswith(("-Input", "-Output"))]


def test_an_error_a_route_names_itself_is_the_envelope_with_its_description() -> None:
    login = documented_app().openapi()["paths"]["/v1/auth/login"]["post"]["responses"]["401"]
    assert login["description"] == "Wrong password."
    assert login["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorResponse")


def test_a_public_get_without_path_ids_can_only_be_refused_as_invalid() -> None:
    assert error_statuses("/v1/things", "get", {"responses": {}}) == [422]


def test_a_post_to_a_collection_path_without_a_list_is_named_by_its_path() -> None:
    item = {"post": {"responses": {"201": {}}}}
    assert operation_id("/v1/customers/batch", "post", item, {}) == "customers_batch"
    assert operation_id("/v1/bills/from-document/{id}", "post", item, {}) == "bills_from_document"


def test_an_optional_body_is_documented_as_optional_not_as_nullable() -> None:
    router = APIRouter()

    @router.post("/v1/widgets/{widget_id}/cancel")
    async def cancel_widget(widget_id: str, body: Widget | None = None) -> dict[str, str]:
        """Cancel a widget, with a reason or without."""
        return {}

    app = FastAPI(separate_input_output_schemas=False)
    app.include_router(router)
    with_documented_errors(app)
    body = app.openapi()["paths"]["/v1/widgets/{widget_id}/cancel"]["post"]["requestBody"]
    assert not body.get("required")
    assert body["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Widget"}
