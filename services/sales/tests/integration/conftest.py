"""Sales in-process against a fresh migrated database per test module.

Each test works in a tenant of its own, so no test depends on another's data. The
outbox relay does not run; tests read the outbox rows the requests wrote.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from millbook_platform.auth import JwksVerifier
from millbook_sales.bootstrap import build_app
from millbook_sales.config import Settings
from millbook_testing.apps import in_process, recorded_events
from millbook_testing.callers import Caller
from millbook_testing.tokens import TestKey

KEY = TestKey()


@pytest.fixture(scope="module")
def database_url(infra) -> str:
    return infra.migrated_database("sales")


@pytest.fixture(scope="module")
def settings(database_url: str, infra) -> Settings:
    return Settings(
        database_url=database_url,
        kafka_bootstrap_servers=infra.kafka_bootstrap,
        run_background=False,
        db_pool_size=8,
    )


@pytest.fixture(scope="module")
def app(settings: Settings) -> FastAPI:
    return build_app(settings)


@pytest_asyncio.fixture(scope="module")
async def http(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with in_process(app, verifier=JwksVerifier(KEY.fetch)) as client:
        yield client


@pytest.fixture(scope="module")
def sessions(app: FastAPI, http: httpx.AsyncClient) -> async_sessionmaker[AsyncSession]:
    return app.state.sessions


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
