"""The tenant walls, swept from the merged OpenAPI document.

Organization B's admin (every scope) aims at organization A's resources through every id
route (each method, workflow steps included), every list filter that takes an id, and
every body field that references another resource. Each try must answer 404 (422 for a
reference), show nothing of A's, and change nothing of A's: A's resources read the same
before and after. B's reads are also sent straight to each service, past the gateway.
A new route is swept the day it appears in the document; a new kind of resource without
a creator in `tenants.CREATORS` fails the sweep naming its route.
"""

from __future__ import annotations

import dataclasses
import json
import re
import uuid
from typing import Any

import httpx
import pytest

from millbook_testing.waiting import eventually

from .conftest import pick
from .openapi import (
    Document,
    Operation,
    body_schema,
    operations,
    references,
    resolve,
    sample,
    set_path,
)
from .tally import Tally
from .tenants import CREATORS, DRAFT_INVOICE, REFERENCES, Tenant, kind_of

pytestmark = pytest.mark.e2e

# B's own resource a write with references is aimed at, where the table's is past changing.
OWN_TARGET = {"/v1/invoices": DRAFT_INVOICE}
# Collections whose path names a key of the caller's own namespace rather than an id: B's
# PUT of `EUR/2026-01-15` writes B's own rate. That A's stays as it was is checked below.
NATURAL_KEYS = frozenset({"/v1/billing/exchange-rates"})
ORDER = {"get": 0, "post": 1, "put": 2, "patch": 3, "delete": 4}


def fill(operation: Operation, value: str) -> str:
    """The operation's path with its parameters (one id, or a natural key's parts) filled."""
    return re.sub(r"\{[^}]+\}(/\{[^}]+\})*", value, operation.path, count=1)


def id_for(tenant: Tenant) -> Any:
    return lambda name: tenant.ids.get(REFERENCES.get(name, ""))


def leaked(a: Tenant, response: httpx.Response, sent: str) -> str | None:
    """What of A's the answer shows that the request did not itself send."""
    text = response.text
    if a.marker in text:
        return f"A's marker {a.marker}"
    for name, value in a.ids.items():
        if value in text and value not in sent:
            return f"A's {name} id {value}"
    return None


async def try_as_b(
    a: Tenant,
    b: Tenant,
    tally: Tally,
    operation: Operation,
    url: str,
    body: Any,
    expect: set[int],
    control: str | None = None,
) -> None:
    """B's request; with a `control` URL (the same route, a random id) another refusal is
    fine when it is the one a random id gets too: it then says nothing about A's id."""
    kwargs: dict[str, Any] = {} if body is None else {"json": body}
    response = await b.request(operation.method.upper(), url, **kwargs)
    sent = url + json.dumps(body)
    shown = leaked(a, response, sent)
    ok = response.status_code in expect
    if not ok and control is not None and 400 <= response.status_code < 500:
        same = await b.request(operation.method.upper(), control, **kwargs)
        ok = (same.status_code, _code(same)) == (response.status_code, _code(response))
    ok = ok and shown is None
    tally.tried(
        ok,
        f"{operation.label}: B sent {operation.method.upper()} {url} {json.dumps(body)[:300]}"
        f" -> {response.status_code} {response.text[:300]}"
        + (f" (shows {shown})" if shown else ""),
    )


def _code(response: httpx.Response) -> str | None:
    try:
        return str(response.json()["error"]["code"])
    except (ValueError, KeyError, TypeError):
        return None


def body_for(document: Document, operation: Operation, tenant: Tenant) -> Any:
    schema = body_schema(document, operation)
    return None if schema is None else sample(document, schema, id_for(tenant))


def missing_creators(document: Document) -> list[str]:
    return sorted(
        operation.label
        for operation in operations(document)
        if operation.path_params and kind(operation) is None
    )


def kind(operation: Operation) -> str | None:
    return kind_of(operation.collection, operation.path_params[0])


async def snapshot(a: Tenant, document: Document) -> dict[str, Any]:
    """Every resource of A's as A reads it, by its single GET (or its collection's list)."""
    singles = {op.path for op in operations(document, ("get",))}
    seen: dict[str, Any] = {}
    for collection in CREATORS:
        single = next((p for p in singles if re.fullmatch(rf"{collection}/\{{\w+\}}", p)), None)
        url = f"{collection}/{a.ids[collection]}" if single else collection
        response = await a.request("GET", url)
        is_json = "json" in response.headers.get("content-type", "")
        seen[url] = (response.status_code, response.json() if is_json else response.content)
    return seen


async def settled_snapshot(a: Tenant, document: Document) -> dict[str, Any]:
    """A's resources once the events their creation set off have had their effect."""
    previous: dict[str, Any] = {}

    async def take() -> dict[str, Any]:
        nonlocal previous
        current = await snapshot(a, document)
        moving = [url for url in current if current[url] != previous.get(url)]
        previous = current
        return {"same": not moving, "moving": moving, "snapshot": current}

    settled = await eventually(
        take, lambda s: s["same"], within_s=30, every_s=1.0, what="A's resources settled"
    )
    unread = {url: seen for url, seen in settled["snapshot"].items() if seen[0] != 200}
    assert not unread, f"A cannot read its own resources: {unread}"
    return settled["snapshot"]


async def sweep_id_routes(document: Document, a: Tenant, b: Tenant) -> Tally:
    tally = Tally("tenant sweep, id routes", "leaks")
    targets = [op for op in operations(document) if op.path_params]
    targets.sort(key=lambda op: ORDER[op.method])  # reads first, deletes last
    for operation in pick(targets, 30):
        natural = operation.collection in NATURAL_KEYS
        expect = set(range(200, 500)) - {403} if natural else {404}
        url = fill(operation, a.ids[str(kind(operation))])
        control = None if natural else fill(operation, str(uuid.uuid4()))
        body = body_for(document, operation, b)
        await try_as_b(a, b, tally, operation, url, body, expect, control)
    return tally


async def sweep_with_a_key(document: Document, a: Tenant, b: Tenant) -> Tally:
    """B's reads of A's ids again with B's live API key holding `admin`: keys find their
    organization at the gateway by another path than tokens."""
    tally = Tally("tenant sweep, with an API key", "leaks")
    secret = (await b.create("/v1/api-keys", {"name": "sweep", "scopes": ["admin"]}))["secret"]
    keyed = dataclasses.replace(b, api_key=secret)
    reads = [op for op in operations(document, ("get",)) if op.path_params]
    for operation in pick(reads, 10):
        if operation.collection in NATURAL_KEYS:
            continue
        url = fill(operation, a.ids[str(kind(operation))])
        control = fill(operation, str(uuid.uuid4()))
        await try_as_b(a, keyed, tally, operation, url, None, {404}, control)
    return tally


async def sweep_direct(document: Document, a: Tenant, b: Tenant) -> Tally:
    """Every read of A's ids sent by B straight to the owning service, past the gateway:
    the services hold their own wall (their tag in the document names them)."""
    tally = Tally("tenant sweep, direct to services", "leaks")
    reads = [op for op in operations(document, ("get",)) if op.path_params]
    async with httpx.AsyncClient(timeout=60) as direct:
        for operation in pick(reads, 10):
            if operation.collection in NATURAL_KEYS:
                continue
            service = operation.spec["tags"][0]
            url = a.stack.url(service) + fill(operation, a.ids[str(kind(operation))])
            response = await direct.get(url, headers=b.headers)
            shown = leaked(a, response, url)
            tally.tried(
                response.status_code in (401, 404) and shown is None,
                f"{operation.label}: B sent GET {url} -> {response.status_code} "
                f"{response.text[:300]}" + (f" (shows {shown})" if shown else ""),
            )
    return tally


async def sweep_filters(document: Document, a: Tenant, b: Tenant) -> Tally:
    """Every list as B, plain and with each id filter given A's id: nothing of A's."""
    tally = Tally("tenant sweep, list filters", "leaks")
    lists = [op for op in operations(document, ("get",)) if not op.path_params]
    tries = []
    for operation in lists:
        required = {
            p["name"]: str(sample(document, p.get("schema", {}), id_for(b), p["name"]))
            for p in operation.query_params
            if p.get("required")
        }
        tries.append((operation, required, None))
        for parameter in operation.query_params:
            schema = resolve(document, parameter.get("schema", {}))
            if schema.get("format") == "uuid" or parameter["name"] in REFERENCES:
                tries.append((operation, required, parameter["name"]))
    for operation, required, name in pick(tries, 15):
        params = dict(required)
        if name is not None:
            target = REFERENCES.get(name)
            if target is None:
                tally.tried(False, f"{operation.label}: no REFERENCES entry for filter {name}")
                continue
            params[name] = a.ids[target]
        response = await b.request("GET", operation.path, params=params)
        sent = str(response.request.url)
        shown = leaked(a, response, sent)
        widened = name is not None and response.status_code == 200 and _items(response)
        refused = 400 <= response.status_code < 500
        ok = (response.status_code == 200 or refused) and shown is None and not widened
        tally.tried(
            ok,
            f"{operation.label}: B sent GET {sent} -> {response.status_code} "
            f"{response.text[:300]}" + (f" (shows {shown})" if shown else ""),
        )
    return tally


def _items(response: httpx.Response) -> bool:
    try:
        data = response.json().get("data")
    except ValueError:
        return False
    return isinstance(data, list) and bool(data)


async def sweep_references(document: Document, a: Tenant, b: Tenant) -> Tally:
    """Each reference of each write body given A's id, the rest of the body B's own."""
    tally = Tally("tenant sweep, body references", "leaks")
    tries, unreachable = [], []
    for operation in operations(document, ("post", "put", "patch")):
        schema = body_schema(document, operation)
        if schema is None:
            continue
        for dotted, name in references(document, schema):
            tries.append((operation, schema, dotted, name))
    for operation, schema, dotted, name in pick(tries, 10):
        target = REFERENCES.get(name)
        if target is None:
            tally.tried(False, f"{operation.label}: no REFERENCES entry for body field {dotted}")
            continue
        base = sample(document, schema, id_for(b))
        foreign: Any = a.ids[target]
        if resolve(document, _field_schema(document, schema, dotted)).get("type") == "array":
            foreign = [foreign]
        url = operation.path
        if operation.path_params:
            own = str(kind(operation))
            url = fill(operation, b.ids[OWN_TARGET.get(own, own)])
        if operation.path_params and await _refused_anyway(b, operation, url, base):
            unreachable.append(f"{operation.label} {dotted}")
            continue
        body = set_path(base, dotted, foreign)
        await try_as_b(a, b, tally, operation, url, body, {404, 422})
    if unreachable:
        print(f"references not reached (B's own resource refuses the step): {unreachable}")
    return tally


async def _refused_anyway(b: Tenant, operation: Operation, url: str, body: Any) -> bool:
    """Whether B's own resource refuses the step whatever the references (a 409: a failed
    document is never billed), so a reference to A's could not be what is judged."""
    response = await b.request(operation.method.upper(), url, json=body)
    return response.status_code == 409


def _field_schema(document: Document, schema: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        name = part.removesuffix("[0]")
        schema = resolve(document, resolve(document, schema).get("properties", {})[name])
        if part.endswith("[0]"):
            schema = resolve(document, schema.get("items", {}))
    return schema


async def test_every_kind_of_resource_has_a_creator(document):
    missing = missing_creators(document)
    assert not missing, (
        "routes with an id whose kind of resource the tenant sweep cannot create; add a "
        "creator to CREATORS in tests/security/tenants.py:\n" + "\n".join(missing)
    )


async def test_another_organization_sees_and_changes_nothing_of_a(document, tenants):
    a, b = tenants
    assert not missing_creators(document)
    before = await settled_snapshot(a, document)

    tallies = [
        await sweep_id_routes(document, a, b),
        await sweep_direct(document, a, b),
        await sweep_with_a_key(document, a, b),
        await sweep_filters(document, a, b),
        await sweep_references(document, a, b),
    ]

    after = await snapshot(a, document)
    changed = [url for url in before if before[url] != after[url]]
    total = sum(t.tries for t in tallies)
    leaks = sum(len(t.failures) for t in tallies)
    for tally in tallies:
        print(tally.line())
    print(f"tenant sweep: {total} tries, {leaks} leaks, {len(changed)} of A's resources changed")
    assert not changed, "A's resources changed by B:\n" + "\n".join(
        f"{url}\n before {before[url]}\n after  {after[url]}" for url in changed
    )
    failures = [failure for tally in tallies for failure in tally.failures]
    assert not failures, f"{leaks} leaks:\n" + "\n".join(failures)
