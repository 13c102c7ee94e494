"""Checks every service's tests run on their own app, database and package:
every route declares and enforces its scopes, every tenant table is behind row-level
security, every event class a service can reach is a registered contract.

Each returns what is wrong (empty when all is well), so a test reads
`assert undeclared_scopes(app) == []` and a failure lists the offenders.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
import uuid
from types import ModuleType
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from millbook_contracts.events import ALL_EVENTS, EVENTS_BY_TYPE, Event
from millbook_testing.callers import Caller, error_of

PUBLIC = re.compile(r"^/(health|metrics)(/|$)")
Operation = tuple[str, str, bool, set[str]]  # method, path, documented, scopes needed

# -- scopes -----------------------------------------------------------------------------


def _needed(dependant: Dependant) -> set[str]:
    found = set(getattr(dependant.call, "required_scopes", ()))
    for child in dependant.dependencies:
        found |= _needed(child)
    return found


def api_operations(app: FastAPI) -> list[Operation]:
    """Every API operation of the app (health and metrics aside)."""
    found: list[Operation] = []
    for context in iter_route_contexts(app.routes):  # included routers are kept nested
        route, path = context.original_route, context.path_format
        if isinstance(route, APIRoute) and path and not PUBLIC.match(path):
            documented = bool(getattr(context, "include_in_schema", route.include_in_schema))
            scopes = _needed(route.dependant)
            methods = sorted(route.methods or ())
            found.extend((method, path, documented, scopes) for method in methods)
    return found


def undeclared_scopes(app: FastAPI) -> list[str]:
    """Operations without `needs(...)`, or whose OpenAPI entry lacks its scopes or security."""
    paths = app.openapi()["paths"]
    undeclared = []
    for method, path, documented, scopes in api_operations(app):
        operation = paths.get(path, {}).get(method.lower())
        if not scopes:
            undeclared.append(f"{method} {path}: no needs(...)")
        elif not documented:
            continue  # an alias kept out of the document on purpose
        elif operation is None:
            undeclared.append(f"{method} {path}: not in the document")
        elif sorted(operation.get("x-scopes") or ()) != sorted(scopes):
            undeclared.append(f"{method} {path}: x-scopes {operation.get('x-scopes')}")
        elif not operation.get("security"):
            undeclared.append(f"{method} {path}: no security")
    return undeclared


async def unrefused_operations(app: FastAPI, caller: Caller) -> list[str]:
    """Operations a caller without their scopes is not refused 403 naming them."""
    nobody = caller.as_scope("nothing:read")
    wrong = []
    for method, path, _, scopes in api_operations(app):
        filled = re.sub(r"\{[^}]+\}", lambda _: str(uuid.uuid4()), path)
        response = await nobody.request(method, filled)
        if response.status_code != 403:
            wrong.append(f"{method} {path}: {response.status_code}")
            continue
        error = error_of(response)
        if error["code"] != "PERMISSION_DENIED" or not all(s in error["message"] for s in scopes):
            wrong.append(f"{method} {path}: {error}")
    return wrong


# -- row-level security -----------------------------------------------------------------

TENANT_TABLES = text(
    """
    SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity,
           EXISTS (SELECT 1 FROM pg_policy p WHERE p.polrelid = c.oid) AS has_policy
    FROM pg_class c
    JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p')
      AND EXISTS (
        SELECT 1 FROM pg_attribute a
        WHERE a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped
      )
    ORDER BY c.relname
    """
)
# Platform tables that system code reads for every tenant by design (the outbox relay, the
# idempotency middleware before a tenant session exists); they never serve a tenant's query.
PLATFORM_TABLES = frozenset({"outbox", "idempotency_keys"})


async def unguarded_tables(
    sessions: async_sessionmaker[AsyncSession], *, at_least: int = 5
) -> dict[str, dict[str, bool]]:
    """Tables with a tenant_id whose row-level security is off, not forced, or has no policy."""
    async with sessions() as session:
        rows = (await session.execute(TENANT_TABLES)).all()
    assert len(rows) >= at_least, "the query does not see the service's tables"
    return {
        name: {"enabled": enabled, "forced": forced, "policy": policy}
        for name, enabled, forced, policy in rows
        if name not in PLATFORM_TABLES and not (enabled and forced and policy)
    }


# -- event contracts --------------------------------------------------------------------


def event_classes(package: ModuleType) -> dict[str, type[Event]]:
    """Every Event subclass the package's modules define or import (its `main` aside)."""
    modules = [package]
    prefix = package.__name__ + "."
    for info in pkgutil.walk_packages(package.__path__, prefix=prefix):
        if info.name != prefix + "main":  # builds the app from the environment
            modules.append(importlib.import_module(info.name))
    classes: dict[str, type[Event]] = {}
    for module in modules:
        for name, value in vars(module).items():
            if inspect.isclass(value) and issubclass(value, Event) and value is not Event:
                classes[f"{module.__name__}.{name}"] = value
    return classes


def unregistered_events(package: ModuleType) -> dict[str, Any]:
    """Event classes not in ALL_EVENTS, or registered under another class for their type."""
    return {
        where: cls.event_type
        for where, cls in event_classes(package).items()
        if cls not in ALL_EVENTS or EVENTS_BY_TYPE.get(cls.event_type) is not cls
    }
