"""The merged OpenAPI document as the security suite reads it: its operations, their
scopes, their bodies' schemas, and minimal bodies built from those schemas.

Everything the sweeps try is derived from here, so a route added to any service is
swept the day it appears in the gateway's `/openapi.json`.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import httpx

from millbook_testing.waiting import eventually

Document = dict[str, Any]
Schema = dict[str, Any]
METHODS = ("get", "post", "put", "patch", "delete")
WRITES = ("post", "put", "patch", "delete")
# Sign-in and token routes: public, per-address budgets of their own, no tenant data.
AUTH_PREFIX = "/v1/auth/"


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    spec: dict[str, Any]

    @property
    def label(self) -> str:
        return f"{self.method.upper()} {self.path}"

    @property
    def scopes(self) -> frozenset[str]:
        return frozenset(self.spec.get("x-scopes") or ())

    @property
    def path_params(self) -> list[str]:
        return [p["name"] for p in self.spec.get("parameters", []) if p["in"] == "path"]

    @property
    def query_params(self) -> list[dict[str, Any]]:
        return [p for p in self.spec.get("parameters", []) if p["in"] == "query"]

    @property
    def collection(self) -> str:
        """The path before its first parameter: `/v1/invoices/{id}/send` -> `/v1/invoices`."""
        return self.path.split("/{", 1)[0]

    def body_media_type(self) -> str | None:
        content = self.spec.get("requestBody", {}).get("content", {})
        return next(iter(content), None)


async def merged_document(client: httpx.AsyncClient) -> Document:
    """The gateway's document once every service contributed to it."""

    async def fetch() -> Document:
        document: Document = (await client.get("/openapi.json")).json()
        return document

    return await eventually(
        fetch,
        lambda doc: not doc["info"].get("x-unavailable"),
        within_s=60,
        every_s=1.0,
        what="every service in the merged OpenAPI document",
    )


def operations(document: Document, methods: tuple[str, ...] = METHODS) -> list[Operation]:
    """The document's operations under /v1 (sign-in routes aside), in document order."""
    return [
        Operation(method, path, spec)
        for path, item in document["paths"].items()
        if path.startswith("/v1/") and not path.startswith(AUTH_PREFIX)
        for method, spec in item.items()
        if method in methods
    ]


def resolve(document: Document, schema: Schema) -> Schema:
    """The schema behind `$ref`s, and behind a nullable `anyOf` its non-null member."""
    while True:
        if "$ref" in schema:
            schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
        elif "anyOf" in schema or "oneOf" in schema:
            union = schema.get("anyOf", schema.get("oneOf"))
            schema = _preferred(document, [m for m in union if m.get("type") != "null"])
        elif "allOf" in schema and len(schema["allOf"]) == 1:
            schema = schema["allOf"][0]
        else:
            return schema


def _preferred(document: Document, members: list[Schema]) -> Schema:
    """Of a union, the member a client would most naturally send: a string (money is a
    decimal string) over a number, an object over anything else."""
    resolved = [resolve(document, m) for m in members]
    for kind in ("object", "string", "array"):
        for member in resolved:
            if member.get("type") == kind:
                return member
    return resolved[0] if resolved else {}


def body_schema(document: Document, operation: Operation) -> Schema | None:
    content = operation.spec.get("requestBody", {}).get("content", {})
    if "application/json" not in content:
        return None
    return resolve(document, content["application/json"]["schema"])


def properties(document: Document, schema: Schema) -> dict[str, Schema]:
    fields = resolve(document, schema).get("properties", {})
    return {name: resolve(document, prop) for name, prop in fields.items()}


def is_reference(name: str, schema: Schema) -> bool:
    """A field naming another resource: a UUID, or a list of them."""
    if schema.get("type") == "array":
        return schema.get("items", {}).get("format") == "uuid"
    return schema.get("format") == "uuid"


def references(document: Document, schema: Schema, prefix: str = "") -> Iterator[tuple[str, str]]:
    """(dotted field path, field name) of every reference in a body, at any depth;
    a list's items are `field[0]`."""
    for name, prop in properties(document, schema).items():
        here = f"{prefix}{name}"
        if is_reference(name, prop):
            yield here, name
        elif prop.get("type") == "object":
            yield from references(document, prop, f"{here}.")
        elif prop.get("type") == "array":
            items = resolve(document, prop.get("items", {}))
            if items.get("type") == "object":
                yield from references(document, items, f"{here}[0].")


IdFor = Callable[[str], str | None]


def sample(document: Document, schema: Schema, id_for: IdFor, name: str = "") -> Any:
    """A minimal valid value: required fields only, references from `id_for(field name)`."""
    schema = resolve(document, schema)
    if "enum" in schema:
        return schema["enum"][0]
    if "const" in schema:
        return schema["const"]
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        props = properties(document, schema)
        return {
            field: sample(document, props[field], id_for, field)
            for field in schema.get("required", [])
            if field in props
        }
    if kind == "array":
        if is_reference(name, schema):
            return [id_for(name) or str(uuid.uuid4())]
        count = max(1, schema.get("minItems", 1))
        return [sample(document, schema.get("items", {}), id_for, name) for _ in range(count)]
    if kind == "integer":
        return max(1, int(schema.get("minimum", 1)))
    if kind == "number":
        return 1
    if kind == "boolean":
        return False
    return _sample_string(schema, id_for, name)


def _sample_string(schema: Schema, id_for: IdFor, name: str) -> str:
    fmt = schema.get("format")
    if fmt == "uuid":
        return id_for(name) or str(uuid.uuid4())
    if fmt == "date":
        return date.today().isoformat()
    if fmt == "date-time":
        return datetime.now(UTC).replace(microsecond=0).isoformat()
    if fmt == "email":
        return f"sweep-{uuid.uuid4().hex[:8]}@security.example.com"
    if "currency" in name:
        return "USD"
    if name in ("amount", "unit_price", "quantity", "rate") or name.endswith(("_amount", "_price")):
        return "10.00"
    if name == "country":
        return "GB"
    if "pattern" in schema and "a-z" in schema["pattern"]:
        return f"sweep-{uuid.uuid4().hex[:6]}"
    return "Sweep " + "x" * max(0, int(schema.get("minLength", 1)) - 6)


def set_path(body: Any, dotted: str, value: Any) -> Any:
    """A copy of `body` with the field at `dotted` (`allocations[0].invoice_id`) set."""
    head, _, rest = dotted.partition(".")
    index = None
    if head.endswith("[0]"):
        head, index = head[:-3], 0
    copy = dict(body) if isinstance(body, dict) else {}
    if index is None:
        copy[head] = set_path(copy.get(head, {}), rest, value) if rest else value
    else:
        items = list(copy.get(head) or [{}])
        items[0] = set_path(items[0], rest, value) if rest else value
        copy[head] = items
    return copy
