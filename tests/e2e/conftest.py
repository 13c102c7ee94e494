"""The whole stack as real processes (test profile), driven through the gateway."""

from __future__ import annotations

import json
import os
import random
import secrets
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest

from millbook_stack import api
from millbook_stack.profiles import Profile, find_repo_root
from millbook_testing.infra import stack_lock


@dataclass(frozen=True)
class Stack:
    profile: Profile
    gateway: str

    def url(self, service: str) -> str:
        return api.service_url(self.profile, service)


@dataclass(frozen=True)
class Admin:
    email: str
    password: str
    organization_id: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@pytest.fixture(scope="session")
def stack(infra) -> Stack:
    with stack_lock(infra.profile, "services"):
        api.start_services(infra.profile)
    return Stack(profile=infra.profile, gateway=api.service_url(infra.profile, "gateway"))


def create_organization(
    stack: Stack, name: str, password: str | None = None, *, platform_admin: bool = False
) -> tuple[str, str, str]:
    """A fresh organization with an admin, through identity's own seeding command."""
    email = f"admin-{uuid.uuid4().hex[:8]}@e2e.example.com"
    password = password or secrets.token_urlsafe(16)
    env = {
        **os.environ,
        **api.service_env(stack.profile, "identity"),
        "MILLBOOK_DEMO_PASSWORD": password,
    }
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "millbook_identity.demo",
            "--email",
            email,
            "--organization",
            name,
            *(["--platform-admin"] if platform_admin else []),
        ],
        cwd=find_repo_root(),
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return email, password, json.loads(result.stdout.strip().splitlines()[-1])["organization_id"]


def own_loopback_address() -> str:
    """All of 127/8 is this machine: each test calls from its own address, as a separate
    person would, so the gateway's per-IP sign-in budget is not shared across the suite."""
    return f"127.{random.randint(1, 254)}.{random.randint(1, 254)}.{random.randint(1, 254)}"


@pytest.fixture
async def gateway(stack) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.AsyncHTTPTransport(local_address=own_loopback_address())
    async with httpx.AsyncClient(base_url=stack.gateway, transport=transport, timeout=30) as client:
        yield client


async def login(client: httpx.AsyncClient, email: str, password: str) -> str:
    response = await client.post("/v1/auth/login", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    return response.json()["data"]["access_token"]


@pytest.fixture
async def admin(stack, gateway) -> Admin:
    email, password, org = create_organization(stack, f"E2E Shop {uuid.uuid4().hex[:6]}")
    return Admin(email, password, org, await login(gateway, email, password))
