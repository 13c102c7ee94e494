"""Ending sessions early, and outdating a user's tokens when their scopes change.

Each ended session is announced (SessionRevoked) so the gateway refuses its tokens; a
scope change raises the user's scope version and announces it (UserPermissionsChanged)
so the gateway refuses tokens issued before, and the client refreshes.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from millbook_contracts.events import SessionRevoked, UserPermissionsChanged
from millbook_identity.auth import repository
from millbook_identity.auth.domain import SessionRow, sessions_to_end
from millbook_identity.models import User, UserSession
from millbook_platform.db import utcnow
from millbook_platform.outbox import record_event


def revoke(
    session: AsyncSession,
    user_sessions: Sequence[UserSession],
    *,
    reason: str,
    source: str,
    actor: str | None = None,
) -> list[UserSession]:
    """Mark each live session revoked and record SessionRevoked for it; returns those ended."""
    now = utcnow()
    ended = [s for s in user_sessions if s.revoked_at is None]
    for user_session in ended:
        user_session.revoked_at = now
        event = SessionRevoked(
            session_id=user_session.id,
            user_id=user_session.user_id,
            organization_id=user_session.tenant_id,
            revoked_at=now,
            reason=reason,
        )
        record_event(session, event, tenant_id=user_session.tenant_id, source=source, actor=actor)
    return ended


async def revoke_all_of_user(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    user_id: uuid.UUID,
    *,
    reason: str,
    source: str,
    actor: str | None = None,
    keep_family_of: uuid.UUID | None = None,
) -> list[UserSession]:
    """End every live session of the user, except the login that `keep_family_of` belongs to."""
    live = await repository.live_sessions_of_user(session, tenant_id, user_id)
    rows = [SessionRow(s.id, s.family_id) for s in live]
    ending = set(sessions_to_end(rows, keep_family_of))
    return revoke(
        session, [s for s in live if s.id in ending], reason=reason, source=source, actor=actor
    )


async def outdate_tokens(session: AsyncSession, user: User, *, reason: str, source: str) -> None:
    """The user's scopes changed: their access tokens issued so far must be refreshed."""
    user.scope_version += 1
    await session.flush()
    event = UserPermissionsChanged(
        user_id=user.id,
        organization_id=user.tenant_id,
        scope_version=user.scope_version,
        reason=reason,
        changed_at=utcnow(),
    )
    record_event(session, event, tenant_id=user.tenant_id, source=source)
