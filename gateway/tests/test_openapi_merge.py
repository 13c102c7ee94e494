"""Merging the services' OpenAPI documents into the gateway's."""

from __future__ import annotations

from typing import Any

from millbook_gateway.openapi_merge import merge_openapi


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def ok(schema: dict[str, Any]) -> dict[str, Any]:
    return {"200": {"content": {"application/json": {"schema": schema}}}}


SALES = {
    "paths": {
        "/v1/customers": {
            "get": {"tags": ["customers"], "responses": ok(ref("Page"))},
            "post": {"requestBody": {"content": {"application/json": {"schema": ref("Customer")}}}},
        },
        "/health": {"get": {"responses": {}}},
        "/v1/invoices": {"get": {"responses": {}}},  # not sales' to publish
    },
    "components": {
        "schemas": {
            "Customer": {"type": "object", "properties": {"name": {"type": "string"}}},
            "Page": {"type": "object", "properties": {"data": {"items": ref("Customer")}}},
            "HTTPValidationError": {"type": "object", "title": "HTTPValidationError"},
        }
    },
}
BILLING = {
    "paths": {
        "/v1/invoices/{invoice_id}": {
            "get": {"responses": ok(ref("Page")), "x-scopes": ["invoices:read"]},
            "delete": {"responses": {}, "security": [{"HTTPBearer": ["invoices:delete"]}]},
        }
    },
    "components": {
        "schemas": {
            "Customer": {"type": "object", "properties": {"balance": {"type": "string"}}},
            "Page": {"type": "object", "properties": {"data": {"items": ref("Customer")}}},
            "HTTPValidationError": {"type": "object", "title": "HTTPValidationError"},
        }
    },
}
IDENTITY = {
    "paths": {
        "/v1/auth/login": {"post": {"responses": {}}},
        "/v1/users": {"get": {"responses": {}}},
        "/.well-known/jwks.json": {"get": {"responses": {}}},
    }
}


def merged() -> dict[str, Any]:
    return merge_openapi(
        {"sales": SALES, "billing": BILLING, "identity": IDENTITY}, unavailable=["inbox"]
    )


def test_conflicting_schemas_are_prefixed_with_their_service() -> None:
    schemas = merged()["components"]["schemas"]
    assert schemas["sales_Customer"]["properties"] == {"name": {"type": "string"}}
    assert schemas["billing_Customer"]["properties"] == {"balance": {"type": "string"}}
    assert "Customer" not in schemas


def test_refs_follow_renamed_schemas_even_through_identical_looking_ones() -> None:
    doc = merged()
    schemas = doc["components"]["schemas"]
    # `Page` is textually the same in both, but points at a different Customer in each.
    assert schemas["sales_Page"]["properties"]["data"]["items"] == ref("sales_Customer")
    assert schemas["billing_Page"]["properties"]["data"]["items"] == ref("billing_Customer")
    sales_list = doc["paths"]["/v1/customers"]["get"]["responses"]["200"]
    assert sales_list["content"]["application/json"]["schema"] == ref("sales_Page")
    create = doc["paths"]["/v1/customers"]["post"]["requestBody"]["content"]["application/json"]
    assert create["schema"] == ref("sales_Customer")
    invoice = doc["paths"]["/v1/invoices/{invoice_id}"]["get"]["responses"]["200"]
    assert invoice["content"]["application/json"]["schema"] == ref("billing_Page")


def test_identical_schemas_are_kept_once_under_their_own_name() -> None:
    schemas = merged()["components"]["schemas"]
    assert schemas["HTTPValidationError"] == {"type": "object", "title": "HTTPValidationError"}
    assert "sales_HTTPValidationError" not in schemas


def test_only_paths_the_gateway_routes_to_that_service_are_published() -> None:
    paths = merged()["paths"]
    assert set(paths) == {
        "/v1/customers",
        "/v1/invoices/{invoice_id}",
        "/v1/auth/login",
        "/v1/users",
        "/.well-known/jwks.json",
    }


def test_operations_are_tagged_with_their_service_and_secured_unless_public() -> None:
    paths = merged()["paths"]
    assert paths["/v1/customers"]["get"]["tags"] == ["sales"]
    assert paths["/v1/customers"]["get"]["security"] == [{"bearerAuth": []}, {"apiKeyAuth": []}]
    assert paths["/v1/users"]["get"]["tags"] == ["identity"]
    assert "security" not in paths["/v1/auth/login"]["post"]
    assert "security" not in paths["/.well-known/jwks.json"]["get"]


def test_the_scopes_a_service_documents_are_required_by_either_credential() -> None:
    invoice = merged()["paths"]["/v1/invoices/{invoice_id}"]

    assert invoice["get"]["security"] == [
        {"bearerAuth": ["invoices:read"]},
        {"apiKeyAuth": ["invoices:read"]},
    ]
    # A service's own scheme name is replaced by the gateway's two; its scopes stay.
    assert invoice["delete"]["security"] == [
        {"bearerAuth": ["invoices:delete"]},
        {"apiKeyAuth": ["invoices:delete"]},
    ]


def test_the_document_declares_both_credentials_and_the_missing_services() -> None:
    doc = merged()
    schemes = doc["components"]["securitySchemes"]
    assert schemes["bearerAuth"]["type"] == "http"
    assert schemes["bearerAuth"]["scheme"] == "bearer"
    assert schemes["apiKeyAuth"] == {
        "type": "apiKey",
        "in": "header",
        "name": "X-API-Key",
        "description": "An API key, `sk_live_…` or `sk_test_…` (machines).",
    }
    assert doc["info"]["x-unavailable"] == ["inbox"]


def test_two_operations_with_one_id_fail_the_merge_loudly() -> None:
    import pytest

    from millbook_gateway.openapi_merge import OperationIdClash

    sales = {"paths": {"/v1/customers": {"get": {"operationId": "things_list", "responses": {}}}}}
    billing = {"paths": {"/v1/invoices": {"get": {"operationId": "things_list", "responses": {}}}}}
    with pytest.raises(OperationIdClash, match=r"things_list.*GET /v1/customers.*GET /v1/invoices"):
        merge_openapi({"sales": sales, "billing": billing})


def test_the_gateway_documents_its_own_errors_and_rate_limit_headers() -> None:
    error = {"type": "object", "properties": {"error": {"type": "object"}}}
    sales = {
        "paths": {"/v1/customers": {"get": {"responses": {"200": {"description": "ok"}}}}},
        "components": {"schemas": {"ErrorResponse": error}},
    }
    responses = merge_openapi({"sales": sales})["paths"]["/v1/customers"]["get"]["responses"]
    assert sorted(responses) == ["200", "429", "502", "503", "504"]
    for status in ("429", "502", "503", "504"):
        schema = responses[status]["content"]["application/json"]["schema"]
        assert schema == ref("ErrorResponse")
    assert "Retry-After" in responses["429"]["headers"]
    for response in responses.values():
        assert {"X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"} <= set(
            response["headers"]
        )
