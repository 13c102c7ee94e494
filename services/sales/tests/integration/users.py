"""Helpers that play identity's user events into sales' users read model."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from millbook_contracts.events import UserCreated, UserDeactivated
from millbook_platform.db import unit_of_work
from millbook_sales.users import projection


async def user_created(
    sessions: async_sessionmaker[AsyncSession],
    tenant_id: uuid.UUID,
    *,
    roles: tuple[str, ...] = ("sales",),
    user_id: uuid.UUID | None = None,
) -> uuid.UUID:
    """A user of `tenant_id` as identity announces one; returns the user's id."""
    event = UserCreated(
        user_id=user_id or uuid.uuid4(),
        organization_id=tenant_id,
        email="rep@example.com",
        first_name="Sales",
        last_name="Rep",
        roles=list(roles),
        created_at=datetime.now(UTC),
    )
    envelope = event.envelope(tenant_id=tenant_id, source="/millbook/identity")
    async with unit_of_work(sessions, tenant_id) as session:
        await projection.on_user_created(session, event, envelope)
    return event.user_id


async def user_deactivated(
    sessions: async_sessionmaker[AsyncSession], tenant_id: uuid.UUID, user_id: uuid.UUID
) -> None:
    event = UserDeactivated(
        user_id=user_id, organization_id=tenant_id, deactivated_at=datetime.now(UTC)
    )
    envelope = event.envelope(tenant_id=tenant_id, source="/millbook/identity")
    async with unit_of_work(sessions, tenant_id) as session:
        await projection.on_user_deactivated(session, event, envelope)
