"""One OpenAPI document from every service's own: pure, so it is tested without HTTP.

A path comes from the service the routing table sends it to. Schemas keep their
names unless two services define the same name differently; then both are
prefixed with their service (`billing_Customer`) and every `$ref` follows.
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


def _operations(item: dict[str, Any], path: str, service: str) -> dict[str, Any]:
    merged = dict(item)
    for method, operation in item.items():
        if method not in METHODS or not isinstance(operation, dict):
            continue
        operation = {**operation, "tags": [service]}
        security = security_of(operation)
        operation.pop("security", None)
        if not is_public(method, path):
            operation["security"] = security
        merged[method] = operation
    return merged


def merge_openapi(docs: Mapping[str, Document], *, unavailable: Sequence[str] = ()) -> Document:
    """The gateway's document: routed paths and all schemas of the services that answered."""
    renames = schema_renames(docs)
    paths: dict[str, Any] = {}
    schemas: dict[str, Any] = {}
    for service, doc in docs.items():
        for name, schema in schemas_of(doc).items():
            schemas[renames[service].get(name, name)] = rewrite_refs(schema, renames[service])
        for path, item in doc.get("paths", {}).items():
            if service_for(path) == service:
                paths[path] = _operations(rewrite_refs(item, renames[service]), path, service)
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
