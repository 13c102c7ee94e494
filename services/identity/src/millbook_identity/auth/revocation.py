"""Ending sessions early; each ended session is announced so the gateway refuses its tokens."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from millbook_contracts.events import SessionRevoked
from millbook_identity.auth import repository
from millbook_identity.models import UserSession
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
) -> list[UserSession]:
    live = await repository.live_sessions_of_user(session, tenant_id, user_id)
    return revoke(session, live, reason=reason, source=source, actor=actor)
