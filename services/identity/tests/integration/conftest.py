"""Identity in-process against a fresh migrated database per test module.

Each test founds its own organization, so no test depends on another's data.
The outbox relay does not run; tests read outbox rows from the database.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass

import httpx
import pytest
import pytest_asyncio
from argon2 import PasswordHasher
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from millbook_identity.auth import passwords
from millbook_identity.auth.keys import KeyVault
from millbook_identity.bootstrap import build_app
from millbook_identity.config import Settings
from millbook_identity.organizations.domain import NewOrganization
from millbook_identity.organizations.service import create_organization
from millbook_identity.users.schemas import UserCreate
from millbook_platform.db import unit_of_work
from millbook_platform.sealing import generate_key_pair
from millbook_testing.apps import in_process, recorded_events

PASSWORD = "a sturdy test passphrase"
# Identity refuses to start without one; the local stack generates its own.
SIGNING_KEY_PASSPHRASE = "the test stack's signing key passphrase"
VAULT = KeyVault(SIGNING_KEY_PASSPHRASE.encode())
# The inbox's sealing key pair: identity seals reset tokens to the public half; tests
# open them with the private half, as the inbox would.
INBOX_KEYS = generate_key_pair()


@dataclass(frozen=True)
class Org:
    id: uuid.UUID
    admin_id: uuid.UUID
    admin_email: str
    admin_token: str


@pytest.fixture(scope="session", autouse=True)
def cheap_password_hashing() -> Iterator[None]:
    """argon2's production cost is deliberate; these tests check behaviour, not cost."""
    original = passwords._hasher
    passwords._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    yield
    passwords._hasher = original


@pytest.fixture(scope="session")
def database_url(infra) -> str:
    """One migrated database for the whole run: every test founds its own organization."""
    return infra.migrated_database("identity")


@pytest.fixture(scope="module")
def settings(database_url: str, infra) -> Settings:
    return Settings(
        database_url=database_url,
        kafka_bootstrap_servers=infra.kafka_bootstrap,
        run_background=False,
        db_pool_size=4,
        signing_key_passphrase=SIGNING_KEY_PASSPHRASE,
        inbox_seal_public_key=INBOX_KEYS.public_key,
    )


@pytest.fixture(scope="module")
def app(settings: Settings) -> FastAPI:
    return build_app(settings)


@pytest_asyncio.fixture(scope="module")
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with in_process(app, base_url="http://identity") as http:
        yield http


@pytest.fixture(scope="module")
def sessions(app: FastAPI, client: httpx.AsyncClient) -> async_sessionmaker[AsyncSession]:
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


def new_user_body(**overrides) -> dict:
    body = {
        "email": unique_email(),
        "password": PASSWORD,
        "first_name": "Grace",
        "last_name": "Hopper",
        "roles": ["sales"],
    }
    return {**body, **overrides}


async def add_user(client: httpx.AsyncClient, org: Org, **overrides) -> tuple[dict, str]:
    """A user created through the API by the org's admin, and their access token."""
    body = new_user_body(**overrides)
    response = await client.post("/v1/users", json=body, headers=bearer(org.admin_token))
    assert response.status_code == 201, response.text
    return response.json()["data"], await login(client, body["email"], organization_id=org.id)


async def events(
    sessions: async_sessionmaker[AsyncSession], event_type: str, subject: object | None = None
) -> list[dict]:
    """Payloads of the outbox rows of `event_type` (about `subject`), oldest first."""
    return await recorded_events(sessions, event_type, subject=subject)


def field_names(response: httpx.Response) -> list[str]:
    return [d["field"] for d in response.json()["error"]["details"]]
