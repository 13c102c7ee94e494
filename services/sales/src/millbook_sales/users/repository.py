"""Reads of the users read model: whom a task, lead or opportunity may name.

A user identity created a moment ago may not be here yet: `await_user` waits
briefly for it (`millbook_platform.read_models`), woken by the projection's
`announce` when the user's row commits.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from millbook_platform import read_models
from millbook_sales.models import SalesUser

TABLE = SalesUser.__tablename__


async def get_user(
    session: AsyncSession, tenant_id: uuid.UUID, user_id: uuid.UUID
) -> SalesUser | None:
    """The tenant's user, active or not; None when unknown or another tenant's."""
    return await session.scalar(
        select(SalesUser).where(SalesUser.tenant_id == tenant_id, SalesUser.user_id == user_id)
    )


async def await_user(
    session: AsyncSession, tenant_id: uuid.UUID, user_id: uuid.UUID
) -> SalesUser | None:
    """The tenant's user, waiting up to `read_models.WAIT_S` for identity's event to land."""
    return await read_models.await_row(
        session,
        lambda: get_user(session, tenant_id, user_id),
        table=TABLE,
        tenant_id=tenant_id,
        row_id=user_id,
    )
