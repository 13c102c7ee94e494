"""Queries on an organization's custom roles."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from millbook_identity.models import Role, User


async def custom_roles(session: AsyncSession, tenant_id: uuid.UUID) -> Sequence[Role]:
    statement = select(Role).where(Role.tenant_id == tenant_id).order_by(Role.name)
    return (await session.scalars(statement)).all()


async def custom_scopes(session: AsyncSession, tenant_id: uuid.UUID) -> dict[str, list[str]]:
    """The organization's role names and their scopes, as the role rules take them."""
    return {role.name: list(role.scopes) for role in await custom_roles(session, tenant_id)}


async def get(session: AsyncSession, tenant_id: uuid.UUID, role_id: uuid.UUID) -> Role | None:
    return await session.scalar(select(Role).where(Role.tenant_id == tenant_id, Role.id == role_id))


async def get_by_name(session: AsyncSession, tenant_id: uuid.UUID, name: str) -> Role | None:
    return await session.scalar(select(Role).where(Role.tenant_id == tenant_id, Role.name == name))


def add(session: AsyncSession, role: Role) -> None:
    session.add(role)


async def delete(session: AsyncSession, role: Role) -> None:
    await session.delete(role)


async def holders(session: AsyncSession, tenant_id: uuid.UUID, name: str) -> int:
    """How many users of the organization hold the role."""
    statement = select(func.count()).where(User.tenant_id == tenant_id, User.roles.contains([name]))
    return int(await session.scalar(statement) or 0)


async def rename_on_users(session: AsyncSession, tenant_id: uuid.UUID, old: str, new: str) -> None:
    await session.execute(
        update(User)
        .where(User.tenant_id == tenant_id, User.roles.contains([old]))
        .values(roles=func.array_replace(User.roles, old, new))
    )


async def holders_for_update(
    session: AsyncSession, tenant_id: uuid.UUID, name: str
) -> Sequence[User]:
    """The organization's users holding the role, locked until the transaction ends."""
    statement = (
        select(User)
        .where(User.tenant_id == tenant_id, User.roles.contains([name]))
        .order_by(User.id)
        .with_for_update()
    )
    return (await session.scalars(statement)).all()
