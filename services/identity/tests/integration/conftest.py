"""Identity in-process against a fresh migrated database per test module.

Each test founds its own organization, so no test depends on another's data.
The outbox relay does not run; tests read outbox rows from the database.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from millbook_identity.bootstrap import build_app
from millbook_identity.config import Settings
from millbook_identity.organizations.domain import NewOrganization
from millbook_identity.organizations.service import create_organization
from millbook_identity.users.schemas import UserCreate
from millbook_platform.db import unit_of_work

PASSWORD = "a sturdy test passphrase"


@dataclass(frozen=True)
class Org:
    id: uuid.UUID
    admin_id: uuid.UUID
    admin_email: str
    admin_token: str


@pytest.fixture(scope="module")
def database_url(infra) -> str:
    return infra.migrated_database("identity")


@pytest.fixture(scope="module")
def settings(database_url: str, infra) -> Settings:
    return Settings(
        database_url=database_url,
        kafka_bootstrap_servers=infra.kafka_bootstrap,
        run_background=False,
        db_pool_size=4,
    )


@pytest_asyncio.fixture(scope="module")
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    application = build_app(settings)
    async with application.router.lifespan_context(application):
        yield application


@pytest_asyncio.fixture(scope="module")
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://identity") as http:
        yield http


@pytest.fixture(scope="module")
def sessions(app: FastAPI) -> async_sessionmaker[AsyncSession]:
    return app.state.sessions


def unique_email(label: str = "user") -> str:
    return f"{label}-{uuid.uuid4().hex[:10]}@example.com"


async def login(
    client: httpx.AsyncClient,
    email: str,
    password: str = PASSWORD,
    organization_id: uuid.UUID | None = None,
) -> str:
    body = {"email": email, "password": password}
    if organization_id is not None:
        body["organization_id"] = str(organization_id)
    response = await client.post("/v1/auth/login", json=body)
    assert response.status_code == 200, response.text
    return response.json()["data"]["access_token"]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest_asyncio.fixture
async def found_org(
    sessions: async_sessionmaker[AsyncSession], client: httpx.AsyncClient, settings: Settings
) -> Callable[..., Awaitable[Org]]:
    """Create an organization with an admin who is logged in."""

    async def found(admin_email: str | None = None) -> Org:
        email = admin_email or unique_email("admin")
        admin = UserCreate(
            email=email, password=PASSWORD, first_name="Ada", last_name="Admin", roles=["admin"]
        )
        async with unit_of_work(sessions) as session:
            founded = await create_organization(
                session, NewOrganization(name="Test Shop"), admin, source=settings.source
            )
        token = await login(client, email, organization_id=founded.organization.id)
        return Org(founded.organization.id, founded.admin.id, email, token)

    return found


@pytest_asyncio.fixture
async def org(found_org: Callable[..., Awaitable[Org]]) -> Org:
    return await found_org()
