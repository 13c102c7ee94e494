"""Sales in-process against a fresh migrated database per test module.

Each test works in a tenant of its own, so no test depends on another's data. The
outbox relay does not run; tests read the outbox rows the requests wrote.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
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


@dataclass
class Caller:
    """A user of one tenant calling the API with the given scopes."""

    http: httpx.AsyncClient
    tenant_id: uuid.UUID
    user_id: uuid.UUID
    scope: str = "admin"

    def headers(self) -> dict[str, str]:
        token = KEY.token(tid=str(self.tenant_id), sub=str(self.user_id), scope=self.scope)
        return {"Authorization": f"Bearer {token}"}

    async def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return await self.http.request(method, path, headers=self.headers(), **kwargs)

    async def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return await self.request("GET", path, **kwargs)

    async def post(self, path: str, json: Any = None, **kwargs: Any) -> httpx.Response:
        return await self.request("POST", path, json=json, **kwargs)

    async def put(self, path: str, json: Any = None) -> httpx.Response:
        return await self.request("PUT", path, json=json)

    async def patch(self, path: str, json: Any = None) -> httpx.Response:
        return await self.request("PATCH", path, json=json)

    async def delete(self, path: str) -> httpx.Response:
        return await self.request("DELETE", path)

    def as_scope(self, scope: str) -> Caller:
        return Caller(self.http, self.tenant_id, self.user_id, scope)

    async def created(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        """POST that must succeed with 201; returns `data`."""
        response = await self.post(path, body)
        assert response.status_code == 201, response.text
        data: dict[str, Any] = response.json()["data"]
        return data


@pytest.fixture
def caller(http: httpx.AsyncClient) -> Caller:
    return Caller(http, uuid.uuid4(), uuid.uuid4())


@pytest.fixture
def other_tenant(http: httpx.AsyncClient) -> Caller:
    return Caller(http, uuid.uuid4(), uuid.uuid4())


async def events_of(
    sessions: async_sessionmaker[AsyncSession], tenant_id: uuid.UUID, event_type: str
) -> list[dict[str, Any]]:
    """Payloads of the tenant's outbox rows of one type, oldest first."""
    return await recorded_events(sessions, event_type, tenant_id=tenant_id)


def error_of(response: httpx.Response) -> dict[str, Any]:
    error: dict[str, Any] = response.json()["error"]
    return error


def fields_named(response: httpx.Response) -> set[str]:
    return {detail["field"] for detail in error_of(response)["details"]}
