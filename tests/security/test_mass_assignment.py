"""Mass assignment, on every write route with a JSON body.

The fields a server owns are those its answer shows and its request body does not take
(`id`, `tenant_id`, `created_at`, `status` where a workflow sets it, totals, numbers),
read from the merged OpenAPI document. Each is added to a valid body of organization A's
admin and must be refused with a 422 naming it (request bodies forbid unknown fields),
or, on a route that takes unknown fields, have no effect on the answer. Routes only the
platform's operator may call answer the admin 403 before reading the body.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from .conftest import pick
from .openapi import Document, Operation, body_schema, operations, properties, resolve, sample
from .tally import Tally
from .tenants import DRAFT_INVOICE, REFERENCES, Tenant, kind_of

pytestmark = pytest.mark.e2e

# Owned by the server on every resource, whether an answer shows them or not.
ALWAYS = ("id", "tenant_id", "organization_id", "created_at", "updated_at")
FORGED = {
    "id": "00000000-0000-4000-8000-000000000001",
    "tenant_id": "00000000-0000-4000-8000-000000000002",
    "organization_id": "00000000-0000-4000-8000-000000000002",
    "created_at": "2000-01-01T00:00:00Z",
    "updated_at": "2000-01-01T00:00:00Z",
}


def answer_fields(document: Document, operation: Operation) -> dict[str, Any]:
    """The fields of the resource a write answers with (inside its `data`)."""
    for status in ("200", "201", "202"):
        content = operation.spec.get("responses", {}).get(status, {}).get("content", {})
        if "application/json" in content:
            data = properties(document, content["application/json"]["schema"]).get("data")
            if data is not None and resolve(document, data).get("type") != "array":
                return properties(document, data)
    return {}


def server_owned(document: Document, operation: Operation, body: dict[str, Any]) -> list[str]:
    taken = set(properties(document, body))
    shown = set(answer_fields(document, operation))
    return sorted((shown | set(ALWAYS)) - taken)


def forged_value(name: str, schema: dict[str, Any]) -> Any:
    if name in FORGED:
        return FORGED[name]
    kind = schema.get("type")
    if kind in ("integer", "number"):
        return 987654
    if kind == "boolean":
        return True
    if kind == "array":
        return []
    if kind == "object":
        return {}
    if schema.get("format") == "date-time":
        return "2000-01-01T00:00:00Z"
    if schema.get("format") == "date":
        return "2000-01-01"
    if "enum" in schema:
        return schema["enum"][-1]
    return "987654.00" if re.search(r"amount|total|balance|price", name) else "FORGED-1"


def url_of(a: Tenant, operation: Operation) -> str:
    if not operation.path_params:
        return operation.path
    kind = str(kind_of(operation.collection, operation.path_params[0]))
    own = a.ids[DRAFT_INVOICE if kind == "/v1/invoices" else kind]
    return re.sub(r"\{[^}]+\}(/\{[^}]+\})*", own, operation.path, count=1)


def named(response_json: Any, field: str) -> bool:
    details = (response_json.get("error") or {}).get("details") or []
    return any(str(d.get("field", "")).split(".")[-1] == field for d in details)


async def test_no_write_takes_a_field_the_server_owns(document, tenants):
    a, _ = tenants
    tries = []
    for operation in operations(document, ("post", "put", "patch")):
        schema = body_schema(document, operation)
        if schema is None or schema.get("type") != "object":
            continue
        shown = answer_fields(document, operation)
        for field in server_owned(document, operation, schema):
            tries.append((operation, schema, field, forged_value(field, shown.get(field, {}))))
    tally = Tally("mass assignment", "accepted")
    for operation, schema, field, value in pick(tries, 25):
        body = {
            **sample(document, schema, lambda n: a.ids.get(REFERENCES.get(n, ""))),
            field: value,
        }
        url = url_of(a, operation)
        response = await a.request(operation.method.upper(), url, json=body)
        answer = response.json() if "json" in response.headers.get("content-type", "") else {}
        # A 403: only the platform's operator may call the route at all (authorized first).
        refused = (response.status_code == 422 and named(answer, field)) or (
            response.status_code == 403
        )
        data = answer.get("data") if isinstance(answer.get("data"), dict) else {}
        ignored = response.is_success and data.get(field) != value
        tally.tried(
            refused or ignored,
            f"{operation.label} with {field}={value!r}: {operation.method.upper()} {url} "
            f"{json.dumps(body)[:200]} -> {response.status_code} {response.text[:300]}",
        )
    tally.check()
