"""The composition root: identity's HTTP app, its routers, and where it finds its own keys."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from millbook_identity.auth import service as auth_service
from millbook_identity.auth.router import router as auth_router
from millbook_identity.config import Settings
from millbook_identity.users.router import router as users_router
from millbook_platform.app import ServiceSpec, create_app
from millbook_platform.auth import JwksFetcher
from millbook_platform.db import unit_of_work

DESCRIPTION = (
    "Organizations, users and their roles, login and sessions, and the signing keys "
    "(`/.well-known/jwks.json`) that every Millbook service verifies access tokens with."
)


def build_app(settings: Settings) -> FastAPI:
    return create_app(
        settings,
        ServiceSpec(
            title="Millbook identity",
            description=DESCRIPTION,
            routers=[auth_router, users_router],
            tags=[
                {"name": "auth", "description": "Login and the public signing keys."},
                {"name": "users", "description": "The people of an organization."},
            ],
            jwks=own_jwks,
        ),
    )


def own_jwks(sessions: async_sessionmaker[AsyncSession]) -> JwksFetcher:
    """Identity reads its signing keys from its database instead of over HTTP from itself."""

    async def fetch() -> dict[str, Any]:
        async with unit_of_work(sessions) as session:
            return await auth_service.jwks(session)

    return fetch
