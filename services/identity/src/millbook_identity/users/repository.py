"""Every query on users. The session is already scoped to one tenant, and each
query names the tenant as well: RLS is the second wall, not the first."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Select, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from millbook_identity.models import User
from millbook_platform.pagination import PageMeta, PageParams, paginate


@dataclass(frozen=True)
class UserFilters:
    search: str | None = None
    status: str | None = None
    role: str | None = None


async def get(session: AsyncSession, tenant_id: uuid.UUID, user_id: uuid.UUID) -> User | None:
    return await session.scalar(select(User).where(User.tenant_id == tenant_id, User.id == user_id))


async def get_for_update(
    session: AsyncSession, tenant_id: uuid.UUID, user_id: uuid.UUID
) -> User | None:
    """The user, locked until the transaction ends: status changes are decided one at a time."""
    statement = select(User).where(User.tenant_id == tenant_id, User.id == user_id)
    return await session.scalar(statement.with_for_update())


async def get_by_email(session: AsyncSession, tenant_id: uuid.UUID, email: str) -> User | None:
    return await session.scalar(
        select(User).where(User.tenant_id == tenant_id, User.email == email)
    )


def add(session: AsyncSession, user: User) -> None:
    session.add(user)


async def active_in(session: AsyncSession, tenant_id: uuid.UUID) -> Sequence[User]:
    statement = select(User).where(User.tenant_id == tenant_id, User.status == "active")
    return (await session.scalars(statement)).all()


async def list_page(
    session: AsyncSession, tenant_id: uuid.UUID, filters: UserFilters, page: PageParams
) -> tuple[Sequence[User], PageMeta]:
    statement = _filtered(select(User).where(User.tenant_id == tenant_id), filters)
    return await paginate(session, statement, page, created_at=User.created_at, row_id=User.id)


def _filtered(statement: Select[User], filters: UserFilters) -> Select[User]:
    if filters.status is not None:
        statement = statement.where(User.status == filters.status)
    if filters.role is not None:
        statement = statement.where(User.roles.contains([filters.role]))
    if filters.search:
        pattern = "%" + _escape_like(filters.search.strip()) + "%"
        statement = statement.where(
            or_(
                User.email.ilike(pattern, escape="\\"),
                User.first_name.ilike(pattern, escape="\\"),
                User.last_name.ilike(pattern, escape="\\"),
                (User.first_name + " " + User.last_name).ilike(pattern, escape="\\"),
            )
        )
    return statement


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
