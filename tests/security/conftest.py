"""The security suite's stack, its two organizations and the merged OpenAPI document.

`make test` runs a fast subset of every sweep; `make test-security` sets
MILLBOOK_SECURITY_FULL=1 and runs each over everything it covers.
"""

from __future__ import annotations

import os
import secrets
import uuid
from collections.abc import AsyncIterator
from datetime import date
from typing import Any

import httpx
import pytest

from ..e2e.conftest import create_organization, login, own_loopback_address, stack  # noqa: F401
from .openapi import Document, merged_document
from .tenants import Tenant, populate

FULL = os.environ.get("MILLBOOK_SECURITY_FULL") == "1"


def pick(items: list[Any], fast: int) -> list[Any]:
    """All of `items` in the full run; in the fast one `fast` of them, evenly spread over the
    list and shifted by the day of the year: each day's `make test` tries another sample
    (the same all day, so a failure reproduces), and over a few days all of them."""
    if FULL or len(items) <= fast:
        return items
    step = len(items) / fast
    shift = date.today().timetuple().tm_yday % max(1, int(step))
    return [items[(int(i * step) + shift) % len(items)] for i in range(fast)]


@pytest.fixture(scope="session")
async def gateway_client(stack) -> AsyncIterator[httpx.AsyncClient]:  # noqa: F811
    transport = httpx.AsyncHTTPTransport(local_address=own_loopback_address())
    async with httpx.AsyncClient(base_url=stack.gateway, transport=transport, timeout=60) as client:
        yield client


@pytest.fixture(scope="session")
async def document(gateway_client) -> Document:
    return await merged_document(gateway_client)


async def enterprise_tenant(stack, client: httpx.AsyncClient, platform: str, name: str) -> Tenant:  # noqa: F811
    """A fresh organization on the enterprise plan (so the sweeps measure the API, not the
    standard plan's burst), whose admin is an ordinary organization admin."""
    email = f"sec-{uuid.uuid4().hex[:8]}@security.example.com"
    password = secrets.token_urlsafe(16)
    response = await client.post(
        "/v1/organizations",
        headers={"Authorization": f"Bearer {platform}"},
        json={
            "name": f"{name} {uuid.uuid4().hex[:6]}",
            "plan_tier": "enterprise",
            "admin": {"email": email, "password": password},
        },
    )
    assert response.status_code == 201, response.text
    organization_id = response.json()["data"]["id"]
    token = await login(client, email, password)
    return Tenant(client, token, organization_id, email, password, stack)


@pytest.fixture(scope="session")
async def tenants(stack, gateway_client) -> tuple[Tenant, Tenant]:  # noqa: F811
    """Organizations A and B, each with one resource of every kind the suite knows."""
    email, password, _ = create_organization(
        stack, f"Security Platform {uuid.uuid4().hex[:6]}", platform_admin=True
    )
    platform = await login(gateway_client, email, password)
    a = await enterprise_tenant(stack, gateway_client, platform, "Security A")
    b = await enterprise_tenant(stack, gateway_client, platform, "Security B")
    for tenant in (a, b):
        await populate(tenant)
    return a, b
