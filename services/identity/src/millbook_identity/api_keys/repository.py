"""Queries on API keys."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from millbook_identity.models import ApiKey
from millbook_platform.db import across_tenants
from millbook_platform.pagination import PageMeta, PageParams, paginate


def add(session: AsyncSession, key: ApiKey) -> None:
    session.add(key)


async def get(session: AsyncSession, tenant_id: uuid.UUID, key_id: uuid.UUID) -> ApiKey | None:
    return await session.scalar(
        select(ApiKey).where(ApiKey.tenant_id == tenant_id, ApiKey.id == key_id)
    )


async def list_page(
    session: AsyncSession, tenant_id: uuid.UUID, page: PageParams
) -> tuple[Sequence[ApiKey], PageMeta]:
    statement = select(ApiKey).where(ApiKey.tenant_id == tenant_id)
    return await paginate(session, statement, page, created_at=ApiKey.created_at, row_id=ApiKey.id)


async def by_secret_digest(session: AsyncSession, digest: str) -> ApiKey | None:
    """The key whose current or previous secret has this digest, in whichever tenant."""
    async with across_tenants(session):
        return await session.scalar(
            select(ApiKey).where(
                or_(ApiKey.secret_hash == digest, ApiKey.previous_secret_hash == digest)
            )
        )


async def in_any_tenant(session: AsyncSession, key_id: uuid.UUID) -> ApiKey | None:
    async with across_tenants(session):
        return await session.get(ApiKey, key_id)
