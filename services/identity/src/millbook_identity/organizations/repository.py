"""Queries on organizations."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from millbook_identity.models import Organization
from millbook_platform.db import across_tenants
from millbook_platform.pagination import PageMeta, PageParams, paginate


def add(session: AsyncSession, org: Organization) -> None:
    session.add(org)


async def get(session: AsyncSession, org_id: uuid.UUID) -> Organization | None:
    """The organization, when the session's tenant (or a cross-tenant block) lets it be seen."""
    return await session.scalar(
        select(Organization).where(Organization.tenant_id == org_id, Organization.id == org_id)
    )


async def get_in_any_tenant(session: AsyncSession, org_id: uuid.UUID) -> Organization | None:
    async with across_tenants(session):
        return await get(session, org_id)


async def owning_tenant(session: AsyncSession, tenant_id: uuid.UUID) -> Organization | None:
    """The organization whose live or sandbox tenant is `tenant_id`."""
    async with across_tenants(session):
        return await session.scalar(
            select(Organization).where(
                or_(Organization.id == tenant_id, Organization.sandbox_tenant_id == tenant_id)
            )
        )


async def list_page(
    session: AsyncSession, page: PageParams, status: str | None
) -> tuple[Sequence[Organization], PageMeta]:
    """Every organization of the install: for platform admins only."""
    statement = select(Organization)
    if status is not None:
        statement = statement.where(Organization.status == status)
    async with across_tenants(session):
        return await paginate(
            session, statement, page, created_at=Organization.created_at, row_id=Organization.id
        )
