"""The users projection: how many people each organization has."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from millbook_analytics.models import ProjectedUser
from millbook_contracts.envelope import Envelope
from millbook_contracts.events import UserCreated


async def on_user_created(session: AsyncSession, event: UserCreated, envelope: Envelope) -> None:
    # The consumer's inbox already makes this once-only; the key makes it safe on replay too.
    await session.execute(
        insert(ProjectedUser)
        .values(tenant_id=envelope.tenant_id, user_id=event.user_id, created_at=event.created_at)
        .on_conflict_do_nothing()
    )


async def user_count(session: AsyncSession, tenant_id: uuid.UUID) -> int:
    count = await session.scalar(
        select(func.count()).select_from(ProjectedUser).where(ProjectedUser.tenant_id == tenant_id)
    )
    return int(count or 0)
