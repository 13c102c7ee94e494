"""Fixtures for one service's in-process integration tests: a fresh migrated database per
test module, the service's app on it, and callers in tenants of their own.

A service's `tests/integration/conftest.py` names the service with a `service_under_test`
fixture; everything else comes from here (loaded by the root conftest). The outbox relay
and consumers do not run: tests read the outbox rows the requests wrote, and hand events
to consumers themselves.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from millbook_platform.auth import JwksVerifier
from millbook_platform.settings import PlatformSettings
from millbook_testing.apps import in_process, recorded_events
from millbook_testing.callers import Caller
from millbook_testing.infra import Infra
from millbook_testing.tokens import TestKey

# One signing key for every service's tests: tokens are checked against its JWKS in process.
KEY = TestKey()


@dataclass(frozen=True)
class ServiceUnderTest:
    name: str  # its database: `infra.migrated_database(name)`
    settings: Callable[..., PlatformSettings]
    build_app: Callable[[Any], FastAPI]


@pytest.fixture(scope="module")
def database_url(service_under_test: ServiceUnderTest, infra: Infra) -> str:
    return infra.migrated_database(service_under_test.name)


@pytest.fixture(scope="module")
def settings(service_under_test: ServiceUnderTest, database_url: str, infra: Infra) -> Any:
    return service_under_test.settings(
        database_url=database_url,
        kafka_bootstrap_servers=infra.kafka_bootstrap,
        run_background=False,
        db_pool_size=8,
    )


@pytest.fixture(scope="module")
def app(service_under_test: ServiceUnderTest, settings: Any) -> FastAPI:
    return service_under_test.build_app(settings)


@pytest_asyncio.fixture(scope="module")
async def http(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with in_process(app, verifier=JwksVerifier(KEY.fetch)) as client:
        yield client


@pytest.fixture(scope="module")
def sessions(app: FastAPI, http: httpx.AsyncClient) -> async_sessionmaker[AsyncSession]:
    factory: async_sessionmaker[AsyncSession] = app.state.sessions
    return factory


@pytest.fixture
def caller(http: httpx.AsyncClient) -> Caller:
    return Caller(http, KEY, uuid.uuid4(), uuid.uuid4())


@pytest.fixture
def other_tenant(http: httpx.AsyncClient) -> Caller:
    return Caller(http, KEY, uuid.uuid4(), uuid.uuid4())


async def events_of(
    sessions: async_sessionmaker[AsyncSession], tenant_id: uuid.UUID, event_type: str
) -> list[dict[str, Any]]:
    """Payloads of the tenant's outbox rows of one type, oldest first."""
    return await recorded_events(sessions, event_type, tenant_id=tenant_id)
