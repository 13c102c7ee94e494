"""Checks on the users that sales' records name (`assigned_to`)."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from millbook_platform.errors import ValidationFailed, field_error
from millbook_sales.users import repository


async def require_assignee(
    session: AsyncSession, tenant_id: uuid.UUID, user_id: uuid.UUID, *, field: str = "assigned_to"
) -> None:
    """422 unless `user_id` is an active user of the organization.

    A user of another organization reads exactly like one that does not exist.
    """
    user = await repository.await_user(session, tenant_id, user_id)
    if user is None:
        raise ValidationFailed(
            "No user of this organization has this id.",
            details=[field_error(field, "no user of this organization has this id")],
        )
    if not user.active:
        raise ValidationFailed(
            "This user is deactivated and cannot be assigned work.",
            details=[field_error(field, "the user is deactivated")],
        )
