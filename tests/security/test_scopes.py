"""Scopes, swept over every write route of the merged OpenAPI document.

For each scope of identity's catalogue an API key holding only that scope, and for each
built-in role a user holding only that role, calls every write route that declares its
scopes (`x-scopes`). A call is admitted (anything but 401/403) exactly when the caller
holds every declared scope. Calls aim at random ids and send empty bodies, and keys are
test-mode (the sandbox), so the sweep creates and changes nothing.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from dataclasses import dataclass

import httpx
import pytest

from millbook_identity.roles.domain import ACTIONS, ADMIN, RESOURCES, ROLE_SCOPES

from .conftest import FULL, pick
from .openapi import WRITES, Document, Operation, operations
from .tally import Tally
from .tenants import Tenant

pytestmark = pytest.mark.e2e

CATALOGUE = [ADMIN, *(f"{resource}:{action}" for resource in RESOURCES for action in ACTIONS)]
CONCURRENCY = 8
# Path parameters that are not ids.
SAMPLE_PARAMS = {"{currency_code}": "EUR", "{effective_date}": "2026-01-15"}


@dataclass(frozen=True)
class Caller:
    name: str
    scopes: frozenset[str]
    headers: dict[str, str]

    def may(self, operation: Operation) -> bool:
        return ADMIN in self.scopes or operation.scopes <= self.scopes


def swept_routes(document: Document) -> list[Operation]:
    return [op for op in operations(document, WRITES) if op.scopes]


async def key_caller(a: Tenant, scope: str) -> Caller:
    body = {"name": f"scope sweep {scope}", "scopes": [scope], "mode": "test"}
    secret = (await a.create("/v1/api-keys", body))["secret"]
    return Caller(f"key[{scope}]", frozenset({scope}), {"X-API-Key": secret})


async def role_caller(a: Tenant, role: str) -> Caller:
    email = f"{role}-{uuid.uuid4().hex[:8]}@security.example.com"
    password = "a long enough passphrase"
    await a.create(
        "/v1/users",
        {
            "email": email,
            "password": password,
            "first_name": role,
            "last_name": "Sweep",
            "roles": [role],
        },
    )
    response = await a.client.post("/v1/auth/login", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    token = response.json()["data"]["access_token"]
    return Caller(f"role[{role}]", ROLE_SCOPES[role], {"Authorization": f"Bearer {token}"})


async def sweep(client: httpx.AsyncClient, callers: list[Caller], routes: list[Operation]) -> Tally:
    tally = Tally("scope sweep", "failures")
    gate = asyncio.Semaphore(CONCURRENCY)

    async def attempt(caller: Caller, operation: Operation) -> None:
        url = re.sub(
            r"\{[^}]+\}", lambda m: SAMPLE_PARAMS.get(m.group(), str(uuid.uuid4())), operation.path
        )
        kwargs = {"json": {}} if operation.method != "delete" else {}
        async with gate:
            response = await client.request(
                operation.method.upper(), url, headers=caller.headers, **kwargs
            )
        admitted = response.status_code not in (401, 403)
        tally.tried(
            admitted == caller.may(operation),
            f"{caller.name} {operation.label} (needs {sorted(operation.scopes)}): "
            f"{response.status_code} {response.text[:200]}",
        )

    await asyncio.gather(*(attempt(c, op) for c in callers for op in routes))
    return tally


async def test_a_write_is_admitted_only_with_its_declared_scopes(document, tenants):
    a, _ = tenants
    routes = pick(swept_routes(document), 8)
    needed = sorted({scope for op in routes for scope in op.scopes})
    scopes = CATALOGUE if FULL else sorted({ADMIN, *needed, *pick(CATALOGUE, 4)})
    roles = list(ROLE_SCOPES) if FULL else ["viewer"]
    callers = [await key_caller(a, scope) for scope in scopes]
    callers += [await role_caller(a, role) for role in roles]
    undeclared = [op.label for op in operations(document, WRITES) if not op.scopes]

    tally = await sweep(a.client, callers, routes)

    print(
        f"scope sweep: {len(routes)} write routes x {len(callers)} callers "
        f"({len(scopes)} single-scope keys, {len(roles)} roles); "
        f"routes without declared scopes, not swept: {undeclared}"
    )
    tally.check()
