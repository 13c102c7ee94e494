"""Identity's own FastAPI dependencies."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from millbook_identity.auth.keys import KeyVault
from millbook_identity.config import Settings
from millbook_identity.roles.domain import PLATFORM_ADMIN_SCOPE
from millbook_platform.auth import Principal
from millbook_platform.errors import PermissionDenied


def _settings(request: Request) -> Settings:
    settings = request.app.state.runtime.settings
    assert isinstance(settings, Settings), "the identity app is built with identity Settings"
    return settings


def _sessions(request: Request) -> async_sessionmaker[AsyncSession]:
    sessions: async_sessionmaker[AsyncSession] = request.app.state.sessions
    return sessions


def _vault(request: Request) -> KeyVault:
    vault = request.app.state.key_vault
    assert isinstance(vault, KeyVault), "build_app opens the vault before serving"
    return vault


IdentitySettings = Annotated[Settings, Depends(_settings)]
# Opens and seals the private signing keys; built once at startup from the passphrase.
SigningVault = Annotated[KeyVault, Depends(_vault)]
# For writes that must commit even when the request fails (a failed login is counted).
Sessions = Annotated[async_sessionmaker[AsyncSession], Depends(_sessions)]


def is_platform_admin(principal: Principal) -> bool:
    # Checked by name: the platform's `admin` implies every scope, but an organization's
    # admin must never administer the whole install.
    return PLATFORM_ADMIN_SCOPE in principal.scopes


def require_platform_admin(principal: Principal) -> None:
    if not is_platform_admin(principal):
        raise PermissionDenied(
            f"This request needs the scope {PLATFORM_ADMIN_SCOPE}.",
            details=[{"field": "scope", "message": f"missing {PLATFORM_ADMIN_SCOPE}"}],
        )
