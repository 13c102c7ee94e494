"""The composition root: identity's HTTP app, its routers, its audit consumer and jobs,
and where it finds its own keys."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from millbook_identity.api_keys.router import alias_router as api_keys_alias_router
from millbook_identity.api_keys.router import internal_router as api_keys_internal_router
from millbook_identity.api_keys.router import router as api_keys_router
from millbook_identity.audit.consumer import audit_consumer
from millbook_identity.audit.jobs import retention_job
from millbook_identity.audit.router import router as audit_router
from millbook_identity.auth import service as auth_service
from millbook_identity.auth.keys import KeyVault
from millbook_identity.auth.router import router as auth_router
from millbook_identity.config import Settings
from millbook_identity.organizations.router import router as organizations_router
from millbook_identity.password_reset.router import router as password_reset_router
from millbook_identity.roles.router import router as roles_router
from millbook_identity.users.router import router as users_router
from millbook_platform.app import ServiceSpec, create_app
from millbook_platform.auth import JwksFetcher
from millbook_platform.db import unit_of_work

DESCRIPTION = (
    "Organizations, users and their roles, login and sessions, API keys, the audit trail, "
    "and the signing keys (`/.well-known/jwks.json`) that every Millbook service verifies "
    "access tokens with."
)

TAGS = [
    {"name": "auth", "description": "Login, signup, sessions, password reset, signing keys."},
    {"name": "users", "description": "The people of an organization."},
    {"name": "organizations", "description": "Tenants and their settings."},
    {"name": "roles", "description": "Named bundles of scopes, built-in and custom."},
    {"name": "api keys", "description": "Machine credentials with scopes and a mode."},
    {"name": "audit", "description": "Who did what, when: read-only."},
    {"name": "internal", "description": "For the gateway on the service network only."},
]


def build_app(settings: Settings) -> FastAPI:
    """Identity's app; SigningKeyUnavailable or SealingKeyError (one sentence) without
    a signing passphrase or the inbox's sealing key."""
    vault = settings.key_vault()
    settings.inbox_public_key()  # refuse to start rather than fail every password reset
    app = create_app(
        settings,
        ServiceSpec(
            title="Millbook identity",
            description=DESCRIPTION,
            routers=[
                auth_router,
                password_reset_router,
                users_router,
                organizations_router,
                roles_router,
                api_keys_router,
                api_keys_alias_router,
                api_keys_internal_router,
                audit_router,
            ],
            consumers=[audit_consumer(settings.kafka_bootstrap_servers, settings.service_name)],
            tags=TAGS,
            jwks=own_jwks(vault),
            jobs=[retention_job(settings.audit_purge_interval_s)],
        ),
    )
    app.state.key_vault = vault
    _check_signing_keys_at_startup(app, vault)
    return app


def _check_signing_keys_at_startup(app: FastAPI, vault: KeyVault) -> None:
    """A wrong passphrase stops the start, saying so, instead of failing every login."""
    platform_lifespan = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[Any]:
        async with platform_lifespan(app) as state:
            await auth_service.check_signing_keys(app.state.sessions, vault)
            yield state

    app.router.lifespan_context = lifespan


def own_jwks(vault: KeyVault) -> Callable[[async_sessionmaker[AsyncSession]], JwksFetcher]:
    """Identity reads its signing keys from its database instead of over HTTP from itself."""

    def fetcher(sessions: async_sessionmaker[AsyncSession]) -> JwksFetcher:
        async def fetch() -> dict[str, Any]:
            async with unit_of_work(sessions) as session:
                return await auth_service.jwks(session, vault)

        return fetch

    return fetcher
