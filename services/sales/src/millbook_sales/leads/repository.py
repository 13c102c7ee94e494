"""Every query on leads, and the round-robin cursor."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from millbook_platform.pagination import PageMeta, PageParams, paginate
from millbook_sales.models import Lead, LeadAssignmentCursor

SORTABLE = {"name": Lead.name, "estimated_value": Lead.estimated_value}


@dataclass(frozen=True)
class LeadFilters:
    status: str | None = None
    source: str | None = None
    assigned_to: uuid.UUID | None = None


async def get(
    session: AsyncSession, tenant_id: uuid.UUID, lead_id: uuid.UUID, *, lock: bool = False
) -> Lead | None:
    statement = select(Lead).where(Lead.tenant_id == tenant_id, Lead.id == lead_id)
    return await session.scalar(statement.with_for_update() if lock else statement)


async def list_page(
    session: AsyncSession, tenant_id: uuid.UUID, filters: LeadFilters, page: PageParams
) -> tuple[Sequence[Lead], PageMeta]:
    statement = select(Lead).where(Lead.tenant_id == tenant_id)
    if filters.status is not None:
        statement = statement.where(Lead.status == filters.status)
    if filters.source is not None:
        statement = statement.where(Lead.source == filters.source)
    if filters.assigned_to is not None:
        statement = statement.where(Lead.assigned_to == filters.assigned_to)
    return await paginate(
        session, statement, page, created_at=Lead.created_at, row_id=Lead.id, sortable=SORTABLE
    )


async def find_by_email_or_company(
    session: AsyncSession, tenant_id: uuid.UUID, email: str | None, company_key: str | None
) -> Sequence[Lead]:
    matches: list[ColumnElement[bool]] = []
    if email:
        matches.append(func.lower(Lead.email) == email.lower())
    if company_key:
        matches.append(Lead.company_key == company_key)
    if not matches:
        return []
    statement = select(Lead).where(Lead.tenant_id == tenant_id, or_(*matches))
    return (await session.scalars(statement.order_by(Lead.created_at).limit(5))).all()


async def lock_assignment_cursor(
    session: AsyncSession, tenant_id: uuid.UUID
) -> LeadAssignmentCursor:
    """The tenant's cursor row, locked until the transaction ends: assignments take turns."""
    await session.execute(
        insert(LeadAssignmentCursor)
        .values(tenant_id=tenant_id, last_user_id=None)
        .on_conflict_do_nothing()
    )
    cursor = await session.scalar(
        select(LeadAssignmentCursor)
        .where(LeadAssignmentCursor.tenant_id == tenant_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    assert cursor is not None
    return cursor
