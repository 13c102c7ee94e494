"""The users read model: who works in each organization and with which roles.

Fed by identity's events; an event older than what the row already reflects changes
nothing, so a replay or a late redelivery cannot roll a user back.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from millbook_contracts.envelope import Envelope
from millbook_contracts.events import (
    RoleChanged,
    RoleUpdated,
    UserCreated,
    UserDeactivated,
    UserReactivated,
    UserUpdated,
)
from millbook_platform import read_models
from millbook_sales.models import SalesUser

SALES_ROLE = "sales"


async def on_user_created(session: AsyncSession, event: UserCreated, envelope: Envelope) -> None:
    await _upsert(session, envelope, event, event.created_at)


async def on_user_updated(session: AsyncSession, event: UserUpdated, envelope: Envelope) -> None:
    await _upsert(session, envelope, event, event.updated_at)


async def on_user_reactivated(
    session: AsyncSession, event: UserReactivated, envelope: Envelope
) -> None:
    await _upsert(session, envelope, event, event.reactivated_at)


async def on_user_deactivated(
    session: AsyncSession, event: UserDeactivated, envelope: Envelope
) -> None:
    await session.execute(
        update(SalesUser)
        .where(
            SalesUser.tenant_id == envelope.tenant_id,
            SalesUser.user_id == event.user_id,
            SalesUser.as_of <= event.deactivated_at,  # a late redelivery keeps a reactivation
        )
        .values(active=False, as_of=event.deactivated_at)
    )


async def on_role_updated(session: AsyncSession, event: RoleUpdated, envelope: Envelope) -> None:
    """A renamed role is renamed on its holders too; identity sends no per-user event then."""
    if event.previous_name == event.name:
        return
    await session.execute(
        update(SalesUser)
        .where(
            SalesUser.tenant_id == envelope.tenant_id,
            SalesUser.roles.any_() == event.previous_name,
        )
        .values(roles=func.array_replace(SalesUser.roles, event.previous_name, event.name))
    )


async def on_role_changed(session: AsyncSession, event: RoleChanged, envelope: Envelope) -> None:
    await session.execute(
        update(SalesUser)
        .where(
            SalesUser.tenant_id == envelope.tenant_id,
            SalesUser.user_id == event.user_id,
            SalesUser.as_of <= event.changed_at,
        )
        .values(roles=list(event.roles), as_of=event.changed_at)
    )


async def _upsert(
    session: AsyncSession,
    envelope: Envelope,
    event: UserCreated | UserUpdated | UserReactivated,
    at: datetime,
) -> None:
    values: dict[str, object] = {
        "email": str(event.email),
        "first_name": event.first_name,
        "last_name": event.last_name,
        "roles": list(event.roles),
        "as_of": at,
    }
    if isinstance(event, UserReactivated):
        values["active"] = True
    statement = insert(SalesUser).values(
        tenant_id=envelope.tenant_id, user_id=event.user_id, **{"active": True, **values}
    )
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["tenant_id", "user_id"],
            set_=values,
            where=SalesUser.as_of <= statement.excluded.as_of,
        )
    )
    # Wakes a request waiting to assign work to this user (`repository.await_user`).
    await read_models.announce(session, SalesUser.__tablename__, envelope.tenant_id, event.user_id)


async def active_sales_user_ids(session: AsyncSession, tenant_id: uuid.UUID) -> Sequence[uuid.UUID]:
    """Users who can take leads, in a stable order (the round-robin's circle)."""
    rows = await session.scalars(
        select(SalesUser.user_id)
        .where(
            SalesUser.tenant_id == tenant_id,
            SalesUser.active.is_(True),
            SalesUser.roles.any_() == SALES_ROLE,
        )
        .order_by(SalesUser.user_id)
    )
    return rows.all()
