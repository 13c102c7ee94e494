"""One OpenAPI document from every service's own: pure, so it is tested without HTTP.

A path comes from the service the routing table sends it to. Schemas keep their
names unless two services define the same name differently; then both are
prefixed with their service (`billing_Customer`) and every `$ref` follows.
Operation ids must be unique across the merged document (clients name their methods
after them): a clash is an error, never a silent rename. The gateway adds what only
it answers: 429 with `Retry-After`, 502/503/504, and the `X-RateLimit-*` headers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from millbook_gateway.routes import is_public, service_for

Document = dict[str, Any]
Renames = dict[str, str]

REF_PREFIX = "#/components/schemas/"
METHODS = frozenset({"get", "put", "post", "delete", "options", "head", "patch", "trace"})
SECURITY_SCHEMES = {
    "bearerAuth": {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "An access token from `POST /v1/auth/login` (people).",
    },
    "apiKeyAuth": {
        "type": "apiKey",
        "in": "header",
        "name": "X-API-Key",
        "description": "An API key, `sk_live_…` or `sk_test_…` (machines).",
    },
}
# Where a service names the scopes an operation needs.
SCOPES_EXTENSION = "x-scopes"
DESCRIPTION = (
    "Millbook's HTTP API through the gateway. Send `Authorization: Bearer <access token>` "
    "(from `POST /v1/auth/login`) or `X-API-Key: sk_live_…` on every operation that is "
    "not public. Every response carries `X-RateLimit-Limit`, `X-RateLimit-Remaining` and "
    "`X-RateLimit-Reset`; over the limit is a 429 with `Retry-After`."
)


ERROR_SCHEMA = "ErrorResponse"
RATE_LIMIT_HEADERS = {
    "X-RateLimit-Limit": {
        "description": "Requests allowed in the current window (the organization's plan).",
        "schema": {"type": "integer"},
    },
    "X-RateLimit-Remaining": {
        "description": "Requests left in the current window.",
        "schema": {"type": "integer"},
    },
    "X-RateLimit-Reset": {
        "description": "Unix time (seconds) when the window resets.",
        "schema": {"type": "integer"},
    },
}
RETRY_AFTER = {
    "description": "Seconds to wait before retrying.",
    "schema": {"type": "integer"},
}
# What the gateway itself answers for any routed operation.
GATEWAY_ERRORS = {
    "429": "Too many requests for your plan (`RATE_LIMIT_EXCEEDED`); retry after `Retry-After`.",
    "502": "The service behind the gateway failed to answer (`UPSTREAM_UNAVAILABLE`).",
    "503": "The service is unavailable or its circuit is open (`UPSTREAM_UNAVAILABLE`).",
    "504": "The service did not answer in time (`UPSTREAM_TIMEOUT`).",
}


class OperationIdClash(ValueError):
    """Two operations of the merged document share an `operationId`."""


def schemas_of(doc: Document) -> dict[str, Any]:
    schemas: dict[str, Any] = doc.get("components", {}).get("schemas", {})
    return schemas


def rewrite_refs(node: Any, renames: Renames) -> Any:
    """A copy of `node` whose `$ref`s to renamed schemas point at the new names."""
    if isinstance(node, dict):
        copy = {key: rewrite_refs(value, renames) for key, value in node.items()}
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith(REF_PREFIX):
            name = ref.removeprefix(REF_PREFIX)
            copy["$ref"] = REF_PREFIX + renames.get(name, name)
        return copy
    if isinstance(node, list):
        return [rewrite_refs(item, renames) for item in node]
    return node


def _clashes(docs: Mapping[str, Document], renames: Mapping[str, Renames]) -> set[str]:
    seen: dict[str, Any] = {}
    clashes: set[str] = set()
    for service, doc in docs.items():
        for name, schema in schemas_of(doc).items():
            final = renames[service].get(name, name)
            body = rewrite_refs(schema, renames[service])
            if final in seen and seen[final] != body:
                clashes.add(name)
            seen.setdefault(final, body)
    return clashes


def schema_renames(docs: Mapping[str, Document]) -> dict[str, Renames]:
    """Per service, the schemas to prefix; repeated because a rename can make two copies differ."""
    conflicting: set[str] = set()
    while True:
        renames = {
            service: {name: f"{service}_{name}" for name in schemas_of(doc) if name in conflicting}
            for service, doc in docs.items()
        }
        found = _clashes(docs, renames)
        if found <= conflicting:
            return renames
        conflicting |= found


def required_scopes(operation: dict[str, Any]) -> list[str]:
    """The scopes a service documents for an operation: `x-scopes`, or its own `security`."""
    declared = operation.get(SCOPES_EXTENSION)
    if isinstance(declared, list):
        return sorted({str(scope) for scope in declared})
    scopes: set[str] = set()
    for requirement in operation.get("security") or []:
        if isinstance(requirement, dict):
            for listed in requirement.values():
                scopes.update(str(scope) for scope in listed or [])
    return sorted(scopes)


def security_of(operation: dict[str, Any]) -> list[dict[str, list[str]]]:
    """Either credential works; both carry the same scopes."""
    scopes = required_scopes(operation)
    return [{name: scopes} for name in SECURITY_SCHEMES]


def _gateway_responses(responses: dict[str, Any], error_schema: str | None) -> dict[str, Any]:
    merged = dict(responses)
    if error_schema:  # a service too old to document its envelope gets only the headers
        for status, description in GATEWAY_ERRORS.items():
            merged.setdefault(
                status, {"description": description, "content": {"application/json": {}}}
            )
            merged[status]["content"]["application/json"]["schema"] = {
                "$ref": REF_PREFIX + error_schema
            }
        merged["429"]["headers"] = {**merged["429"].get("headers", {}), "Retry-After": RETRY_AFTER}
    return {
        status: {**response, "headers": {**response.get("headers", {}), **RATE_LIMIT_HEADERS}}
        for status, response in merged.items()
    }


def _operations(
    item: dict[str, Any], path: str, service: str, error_schema: str | None
) -> dict[str, Any]:
    merged = dict(item)
    for method, operation in item.items():
        if method not in METHODS or not isinstance(operation, dict):
            continue
        operation = {**operation, "tags": [service]}
        security = security_of(operation)
        operation.pop("security", None)
        if not is_public(method, path):
            operation["security"] = security
        operation["responses"] = _gateway_responses(operation.get("responses", {}), error_schema)
        merged[method] = operation
    return merged


def check_operation_ids(paths: Mapping[str, Any]) -> None:
    """Raise `OperationIdClash` naming every id that two operations share."""
    seen: dict[str, str] = {}
    clashes: list[str] = []
    for path, item in paths.items():
        for method, operation in item.items():
            op_id = operation.get("operationId") if isinstance(operation, dict) else None
            if method not in METHODS or not op_id:
                continue
            where = f"{method.upper()} {path}"
            if op_id in seen:
                clashes.append(f"{op_id!r}: {seen[op_id]} and {where}")
            seen.setdefault(op_id, where)
    if clashes:
        raise OperationIdClash("operationId used twice: " + "; ".join(clashes))


def merge_openapi(docs: Mapping[str, Document], *, unavailable: Sequence[str] = ()) -> Document:
    """The gateway's document: routed paths and all schemas of the services that answered."""
    renames = schema_renames(docs)
    paths: dict[str, Any] = {}
    schemas: dict[str, Any] = {}
    for service, doc in docs.items():
        for name, schema in schemas_of(doc).items():
            schemas[renames[service].get(name, name)] = rewrite_refs(schema, renames[service])
        error_schema = (
            renames[service].get(ERROR_SCHEMA, ERROR_SCHEMA)
            if ERROR_SCHEMA in schemas_of(doc)
            else None
        )
        for path, item in doc.get("paths", {}).items():
            if service_for(path) == service:
                item = rewrite_refs(item, renames[service])
                paths[path] = _operations(item, path, service, error_schema)
    check_operation_ids(paths)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Millbook API",
            "version": "0.1.0",
            "description": DESCRIPTION,
            "x-unavailable": sorted(unavailable),
        },
        "tags": [{"name": service} for service in docs],
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": dict(sorted(schemas.items())),
            "securitySchemes": SECURITY_SCHEMES,
        },
    }
