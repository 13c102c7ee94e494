"""A tenant's user calling a service in process: headers, verbs, error helpers."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import httpx

from millbook_testing.tokens import TestKey


@dataclass
class Caller:
    """A user of one tenant calling the API with the given scopes."""

    http: httpx.AsyncClient
    key: TestKey
    tenant_id: uuid.UUID
    user_id: uuid.UUID
    scope: str = "admin"

    def headers(self) -> dict[str, str]:
        token = self.key.token(tid=str(self.tenant_id), sub=str(self.user_id), scope=self.scope)
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
        return Caller(self.http, self.key, self.tenant_id, self.user_id, scope)

    async def created(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        """POST that must succeed with 201; returns `data`."""
        response = await self.post(path, body)
        assert response.status_code == 201, response.text
        data: dict[str, Any] = response.json()["data"]
        return data


def error_of(response: httpx.Response) -> dict[str, Any]:
    error: dict[str, Any] = response.json()["error"]
    return error


def fields_named(response: httpx.Response) -> set[str]:
    return {detail["field"] for detail in error_of(response)["details"]}
