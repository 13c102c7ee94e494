"""Every query on contacts; deleted contacts are invisible to all of them."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from millbook_platform.pagination import PageMeta, PageParams, paginate
from millbook_sales.models import Contact

SORTABLE = {"last_name": Contact.last_name, "first_name": Contact.first_name}


async def get(
    session: AsyncSession, tenant_id: uuid.UUID, contact_id: uuid.UUID, *, lock: bool = False
) -> Contact | None:
    """The live contact; `lock` holds it until the transaction ends, so a change waits for
    the one before it (and finds nothing when that one deleted it)."""
    statement = select(Contact).where(
        Contact.tenant_id == tenant_id, Contact.id == contact_id, Contact.deleted_at.is_(None)
    )
    if lock:
        statement = statement.with_for_update().execution_options(populate_existing=True)
    return await session.scalar(statement)


async def list_page(
    session: AsyncSession, tenant_id: uuid.UUID, customer_id: uuid.UUID | None, page: PageParams
) -> tuple[Sequence[Contact], PageMeta]:
    statement = select(Contact).where(Contact.tenant_id == tenant_id, Contact.deleted_at.is_(None))
    if customer_id is not None:
        statement = statement.where(Contact.customer_id == customer_id)
    return await paginate(
        session,
        statement,
        page,
        created_at=Contact.created_at,
        row_id=Contact.id,
        sortable=SORTABLE,
    )
