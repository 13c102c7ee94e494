"""What a service's OpenAPI document says beyond FastAPI's defaults, so that it tells the truth.

- Operation ids are short and stable, `<resource>_<action>` (`invoices_list`, `invoices_get`,
  `invoices_create`, `invoices_send`), derived from the path, the method and the responses,
  so a renamed Python function never changes a client's method name.
- Every error a route can answer is documented with the one envelope it really has
  (`ErrorResponse`), not FastAPI's `HTTPValidationError`: 401/403 where a caller is needed,
  404 where the path names a resource, 400/413 where a body is read, 409 on writes, and 422
  everywhere (an unknown query parameter is refused).
- Every response documents `X-Request-Id`; every POST the optional `Idempotency-Key`.

The gateway adds what only it answers (429, 502/503/504, the rate-limit headers) when it
merges the services' documents.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel, Field

Operation = dict[str, Any]

REF_PREFIX = "#/components/schemas/"
ERROR_SCHEMA = "ErrorResponse"
WRITE_METHODS = frozenset({"post", "put", "patch", "delete"})
BODY_METHODS = frozenset({"post", "put", "patch"})
_FASTAPI_VALIDATION_SCHEMAS = ("HTTPValidationError", "ValidationError")


class ErrorDetail(BaseModel):
    """One thing wrong with the request, by field (`lines[0].quantity`)."""

    field: str
    message: str


class ErrorBody(BaseModel):
    code: str = Field(
        description=(
            "Stable machine-readable code: AUTH_REQUIRED, AUTH_INVALID, AUTH_EXPIRED, "
            "PERMISSION_DENIED, VALIDATION_ERROR, RESOURCE_NOT_FOUND, RESOURCE_CONFLICT, "
            "INVALID_TRANSITION, INSUFFICIENT_STOCK, IDEMPOTENCY_KEY_REUSED, PAYLOAD_TOO_LARGE, "
            "RATE_LIMIT_EXCEEDED, UPSTREAM_UNAVAILABLE, UPSTREAM_TIMEOUT, INTERNAL_ERROR, "
            "METHOD_NOT_ALLOWED, MALFORMED_REQUEST."
        )
    )
    message: str = Field(description="What went wrong, for a person.")
    details: list[ErrorDetail] = Field(default_factory=list)
    request_id: str | None = Field(description="The request's `X-Request-Id`; quote it to us.")


class ErrorResponse(BaseModel):
    """Every error Millbook answers, whatever the status."""

    error: ErrorBody


# Why each status can happen; the description a client reads beside the envelope.
ERROR_STATUSES: dict[int, str] = {
    400: "The body is not JSON (`MALFORMED_REQUEST`).",
    401: "No credential, or it is invalid or expired (`AUTH_REQUIRED`, `AUTH_INVALID`, "
    "`AUTH_EXPIRED`).",
    403: "The credential lacks a scope this operation needs (`PERMISSION_DENIED`).",
    404: "The resource, or one the body names, is not in your organization (`RESOURCE_NOT_FOUND`).",
    409: "The resource's state does not allow it, it already exists, or a request with the "
    "same `Idempotency-Key` is in progress (`INVALID_TRANSITION`, `RESOURCE_CONFLICT`).",
    413: "The body is larger than the limit (`PAYLOAD_TOO_LARGE`).",
    422: "A parameter or the body is not valid, an unknown query parameter was sent, or the "
    "`Idempotency-Key` was used with another body (`VALIDATION_ERROR`, "
    "`IDEMPOTENCY_KEY_REUSED`).",
}

REQUEST_ID_HEADER = {
    "description": "The request's id: the client's `X-Request-Id` if it sent a plain one.",
    "schema": {"type": "string"},
}
IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": (
        "Any unique string (a UUID): for 24 hours the same key with the same body replays "
        "the first response instead of acting twice; with another body it is a 422 "
        "`IDEMPOTENCY_KEY_REUSED`. `X-Idempotency-Key` is accepted too."
    ),
    "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": r"\S"},
}

_VERB_FOR_ITEM = {"get": "get", "put": "replace", "patch": "update", "delete": "delete"}
_POST_AT_ITEM = None  # `POST /v1/bills/from-document/{document_id}`: named by its path
_VERB_FOR_COLLECTION = {"put": "replace", "patch": "update", "delete": "delete"}


def _name(segment: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", segment.lower()).strip("_")


def operation_id(path: str, method: str, item: dict[str, Any], schemas: dict[str, Any]) -> str:
    """`<resource>_<action>`: `invoices_list`, `invoices_get`, `invoices_create`, `invoices_send`.

    The resource is the path's fixed segments after `/v1`; the action comes from the method,
    whether the path ends at an id, whether a GET answers a list (`meta`) and whether a POST
    adds to a collection (the path also answers GET). A workflow step (`POST .../{id}/send`,
    `POST /v1/customers/batch`) and a report or singleton read
    (`GET /v1/reports/trial-balance`) are named by their path alone.
    """
    segments = [s for s in path.strip("/").split("/") if s]
    if segments and segments[0] == "v1":
        segments = segments[1:]
    fixed = [_name(s) for s in segments if not s.startswith("{")]
    base = "_".join(part for part in fixed if part) or "root"
    action = _action(method, segments, item, schemas)
    return f"{base}_{action}" if action else base


def _action(
    method: str, segments: list[str], item: dict[str, Any], schemas: dict[str, Any]
) -> str | None:
    if segments and segments[-1].startswith("{"):
        return _POST_AT_ITEM if method == "post" else _VERB_FOR_ITEM.get(method, method)
    if method == "get":
        return "list" if _answers_list(item["get"], schemas) else None
    if method == "post":
        return "create" if "get" in item else None
    return _VERB_FOR_COLLECTION.get(method, method)


def _answers_list(operation: Operation, schemas: dict[str, Any]) -> bool:
    ok = operation.get("responses", {}).get("200", {})
    schema = ok.get("content", {}).get("application/json", {}).get("schema", {})
    ref = schema.get("$ref", "")
    model = schemas.get(ref.removeprefix(REF_PREFIX), {}) if ref.startswith(REF_PREFIX) else {}
    return "meta" in model.get("properties", {})


def document_errors(schema: dict[str, Any]) -> dict[str, Any]:
    """The document with the real error envelope and headers on every operation (pure)."""
    components = schema.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    schemas.update(_error_schemas())
    for path, item in schema.get("paths", {}).items():
        for method, operation in item.items():
            if isinstance(operation, dict) and "responses" in operation:
                operation["operationId"] = operation_id(path, method, item, schemas)
                _document_operation(path, method, operation)
    _drop_unused(schema, _FASTAPI_VALIDATION_SCHEMAS)
    return schema


def _error_schemas() -> dict[str, Any]:
    generated = ErrorResponse.model_json_schema(ref_template=REF_PREFIX + "{model}")
    defs: dict[str, Any] = generated.pop("$defs", {})
    return {**defs, ERROR_SCHEMA: generated}


def error_statuses(path: str, method: str, operation: Operation) -> list[int]:
    """The error statuses a service can answer for this operation."""
    statuses = {422}
    if operation.get("security"):
        statuses |= {401, 403}
    has_body = method in BODY_METHODS and "requestBody" in operation
    if "{" in path or has_body:  # the body may name a customer, an order, ...
        statuses.add(404)
    if has_body:
        statuses |= {400, 413}
    if method in WRITE_METHODS:
        statuses.add(409)
    return sorted(statuses)


def error_response(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "headers": {"X-Request-Id": REQUEST_ID_HEADER},
        "content": {"application/json": {"schema": {"$ref": REF_PREFIX + ERROR_SCHEMA}}},
    }


def _document_operation(path: str, method: str, operation: Operation) -> None:
    responses: dict[str, Any] = operation["responses"]
    # A route may name an error of its own (`responses={401: {"description": ...}}`):
    # it is answered with the same envelope.
    declared = {int(s) for s in responses if s.isdigit() and int(s) >= 400 and int(s) != 422}
    for status in sorted(set(error_statuses(path, method, operation)) | declared):
        existing = responses.get(str(status), {})
        description = existing.get("description") if status != 422 else None
        responses[str(status)] = error_response(description or ERROR_STATUSES.get(status, "Error."))
    for response in responses.values():
        response.setdefault("headers", {}).setdefault("X-Request-Id", REQUEST_ID_HEADER)
    _simplify_optional_body(operation)
    if method == "post":
        parameters = operation.setdefault("parameters", [])
        if not any(p.get("name", "").lower() == "idempotency-key" for p in parameters):
            parameters.append(IDEMPOTENCY_KEY)


def _simplify_optional_body(operation: Operation) -> None:
    """An optional body (`body: X | None = None`) is documented as an optional `X`.

    FastAPI writes it as `anyOf: [X, null]`, which generators turn into a client that
    sends a bad body when it is left out; leaving the body out is how a client says None.
    """
    body = operation.get("requestBody")
    if not body or body.get("required"):
        return
    for media in body.get("content", {}).values():
        options = media.get("schema", {}).get("anyOf", [])
        kept = [o for o in options if o != {"type": "null"}]
        if len(options) == 2 and len(kept) == 1:
            media["schema"] = {
                **{k: v for k, v in media["schema"].items() if k not in ("anyOf", "title")},
                **kept[0],
            }


def _refs(node: Any, found: set[str]) -> set[str]:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith(REF_PREFIX):
            found.add(ref.removeprefix(REF_PREFIX))
        for value in node.values():
            _refs(value, found)
    elif isinstance(node, list):
        for value in node:
            _refs(value, found)
    return found


def _drop_unused(schema: dict[str, Any], names: tuple[str, ...]) -> None:
    schemas = schema["components"]["schemas"]
    for name in names:
        if name in schemas:
            rest = {k: v for k, v in schema.items() if k != "components"}
            others = {k: v for k, v in schemas.items() if k not in names}
            if name not in _refs([rest, others], set()):
                del schemas[name]


def with_documented_errors(app: FastAPI) -> None:
    """Make `app.openapi()` answer the document with short ids, the real errors and headers."""
    build: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = document_errors(build())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


__all__ = [
    "ERROR_SCHEMA",
    "ErrorResponse",
    "document_errors",
    "error_statuses",
    "operation_id",
    "with_documented_errors",
]
