"""Queries for login: the cross-tenant email lookup, signing keys and sessions."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from millbook_identity.models import SigningKey, User, UserSession
from millbook_platform.db import across_tenants

# Serialises the creation of the first signing key between concurrent requests.
SIGNING_KEY_LOCK = 7_300_001


async def users_with_email_in_any_tenant(session: AsyncSession, email: str) -> Sequence[User]:
    """Every account with this email; the one place identity reads across tenants."""
    async with across_tenants(session):
        return (await session.scalars(select(User).where(User.email == email))).all()


async def active_signing_keys(session: AsyncSession) -> Sequence[SigningKey]:
    """Non-retired keys, newest first."""
    statement = (
        select(SigningKey)
        .where(SigningKey.retired_at.is_(None))
        .order_by(SigningKey.created_at.desc(), SigningKey.kid)
    )
    return (await session.scalars(statement)).all()


async def lock_signing_keys(session: AsyncSession) -> None:
    """Held until the transaction ends, so two first logins create one key, not two."""
    await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": SIGNING_KEY_LOCK})


def add_signing_key(session: AsyncSession, key: SigningKey) -> None:
    session.add(key)


def add_session(session: AsyncSession, user_session: UserSession) -> None:
    session.add(user_session)
