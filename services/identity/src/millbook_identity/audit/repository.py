"""Every query on the audit trail, scoped to one tenant unless a job says otherwise."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, delete, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from millbook_identity.models import AuditEntry, Organization
from millbook_platform.pagination import PageMeta, PageParams, paginate


@dataclass(frozen=True)
class AuditFilters:
    actor_id: str | None = None
    action: str | None = None
    resource_type: str | None = None
    resource_id: str | None = None
    date_from: datetime | None = None
    date_to: datetime | None = None


def add(session: AsyncSession, entry: AuditEntry) -> None:
    session.add(entry)


async def add_once(session: AsyncSession, values: dict[str, object]) -> None:
    """Insert an entry for an event unless that event is already in the trail."""
    statement = insert(AuditEntry).values(**values).on_conflict_do_nothing()
    await session.execute(statement)


async def get(
    session: AsyncSession, tenant_id: uuid.UUID, entry_id: uuid.UUID
) -> AuditEntry | None:
    return await session.scalar(
        select(AuditEntry).where(AuditEntry.tenant_id == tenant_id, AuditEntry.id == entry_id)
    )


async def list_page(
    session: AsyncSession, tenant_id: uuid.UUID, filters: AuditFilters, page: PageParams
) -> tuple[Sequence[AuditEntry], PageMeta]:
    statement = _filtered(select(AuditEntry).where(AuditEntry.tenant_id == tenant_id), filters)
    return await paginate(
        session, statement, page, created_at=AuditEntry.occurred_at, row_id=AuditEntry.id
    )


def _filtered(statement: Select[AuditEntry], filters: AuditFilters) -> Select[AuditEntry]:
    exact = {
        AuditEntry.actor_id: filters.actor_id,
        AuditEntry.action: filters.action,
        AuditEntry.resource_type: filters.resource_type,
        AuditEntry.resource_id: filters.resource_id,
    }
    for column, value in exact.items():
        if value is not None:
            statement = statement.where(column == value)
    if filters.date_from is not None:
        statement = statement.where(AuditEntry.occurred_at >= filters.date_from)
    if filters.date_to is not None:
        statement = statement.where(AuditEntry.occurred_at <= filters.date_to)
    return statement


async def retention_by_tenant(session: AsyncSession) -> list[tuple[list[uuid.UUID], int]]:
    """Each organization's tenants (live and sandbox) with its retention in days."""
    rows = await session.execute(
        select(Organization.id, Organization.sandbox_tenant_id, Organization.audit_retention_days)
    )
    return [([live, sandbox], days) for live, sandbox, days in rows]


async def delete_before(
    session: AsyncSession, tenant_ids: list[uuid.UUID], cutoff: datetime
) -> int:
    result = await session.execute(
        delete(AuditEntry).where(
            AuditEntry.tenant_id.in_(tenant_ids), AuditEntry.occurred_at < cutoff
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)
