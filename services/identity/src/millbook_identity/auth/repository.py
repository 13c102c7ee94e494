"""Queries for login and sessions: the cross-tenant lookups, signing keys, failures."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from millbook_identity.auth.lockout import Failure
from millbook_identity.models import (
    AnonymousLoginFailure,
    LoginFailure,
    SigningKey,
    User,
    UserSession,
)
from millbook_platform.db import across_tenants, utcnow

# Serialises the creation of the first signing key between concurrent requests.
SIGNING_KEY_LOCK = 7_300_001


async def users_with_email_in_any_tenant(session: AsyncSession, email: str) -> Sequence[User]:
    """Every account with this email; login and password reset look across tenants."""
    async with across_tenants(session):
        return (await session.scalars(select(User).where(User.email == email))).all()


async def active_signing_keys(session: AsyncSession) -> Sequence[SigningKey]:
    """Keys not yet retired (a rotated key retires in the future), newest first."""
    statement = (
        select(SigningKey)
        .where(or_(SigningKey.retired_at.is_(None), SigningKey.retired_at > utcnow()))
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


async def session_by_refresh_digest(session: AsyncSession, digest: str) -> UserSession | None:
    """The refresh token's row in whichever tenant it lives; the token names no tenant."""
    async with across_tenants(session):
        return await session.scalar(
            select(UserSession).where(UserSession.refresh_token_hash == digest)
        )


async def session_in_any_tenant(session: AsyncSession, session_id: uuid.UUID) -> UserSession | None:
    async with across_tenants(session):
        return await session.get(UserSession, session_id)


async def mark_used(session: AsyncSession, session_id: uuid.UUID, at: datetime) -> bool:
    """Consume a refresh token; False when a concurrent request consumed it first."""
    result = await session.execute(
        update(UserSession)
        .where(
            UserSession.id == session_id,
            UserSession.used_at.is_(None),
            UserSession.revoked_at.is_(None),
        )
        .values(used_at=at)
        .returning(UserSession.id)
    )
    return result.first() is not None


async def family(
    session: AsyncSession, tenant_id: uuid.UUID, family_id: uuid.UUID
) -> Sequence[UserSession]:
    statement = select(UserSession).where(
        UserSession.tenant_id == tenant_id, UserSession.family_id == family_id
    )
    return (await session.scalars(statement.with_for_update())).all()


async def get_session(
    session: AsyncSession, tenant_id: uuid.UUID, session_id: uuid.UUID
) -> UserSession | None:
    return await session.scalar(
        select(UserSession).where(UserSession.tenant_id == tenant_id, UserSession.id == session_id)
    )


async def live_sessions_of_user(
    session: AsyncSession, tenant_id: uuid.UUID, user_id: uuid.UUID
) -> Sequence[UserSession]:
    statement = select(UserSession).where(
        UserSession.tenant_id == tenant_id,
        UserSession.user_id == user_id,
        UserSession.revoked_at.is_(None),
    )
    return (await session.scalars(statement.with_for_update())).all()


async def recent_failures(
    session: AsyncSession, user_ids: Sequence[uuid.UUID], since: datetime
) -> dict[uuid.UUID, list[Failure]]:
    """Failed logins since `since` per account, with their sources, in any tenant."""
    statement = select(LoginFailure.user_id, LoginFailure.source, LoginFailure.created_at).where(
        LoginFailure.user_id.in_(user_ids), LoginFailure.created_at >= since
    )
    found: dict[uuid.UUID, list[Failure]] = {user_id: [] for user_id in user_ids}
    async with across_tenants(session):
        for user_id, source, at in await session.execute(statement):
            found[user_id].append((source, at))
    return found


def add_failure(session: AsyncSession, failure: LoginFailure) -> None:
    session.add(failure)


async def forget_failures(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    user_id: uuid.UUID,
    *,
    source: str | None = None,
    before: datetime | None = None,
) -> None:
    """Remove an account's failures: one source's after its success (never another
    source's, so the owner's login does not clear an attacker's lock), or those too
    old to matter."""
    statement = delete(LoginFailure).where(
        LoginFailure.tenant_id == tenant_id, LoginFailure.user_id == user_id
    )
    if source is not None:
        statement = statement.where(LoginFailure.source == source)
    if before is not None:
        statement = statement.where(LoginFailure.created_at < before)
    await session.execute(statement)


async def signing_keys_to_retire(session: AsyncSession, keep: str) -> Sequence[SigningKey]:
    statement = select(SigningKey).where(SigningKey.retired_at.is_(None), SigningKey.kid != keep)
    return (await session.scalars(statement)).all()


async def recent_anonymous_failures(
    session: AsyncSession, email_digest: str, since: datetime
) -> list[Failure]:
    """Failed logins since `since` for an email that has no account, with their sources."""
    statement = select(AnonymousLoginFailure.source, AnonymousLoginFailure.created_at).where(
        AnonymousLoginFailure.email_digest == email_digest,
        AnonymousLoginFailure.created_at >= since,
    )
    return [(source, at) for source, at in await session.execute(statement)]


def add_anonymous_failure(session: AsyncSession, failure: AnonymousLoginFailure) -> None:
    session.add(failure)


async def forget_anonymous_failures_before(session: AsyncSession, before: datetime) -> None:
    """Every email's failures too old to matter to any decision: the table stays small."""
    await session.execute(
        delete(AnonymousLoginFailure).where(AnonymousLoginFailure.created_at < before)
    )
