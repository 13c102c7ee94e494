"""Every query on attachments; each names the tenant (row-level security is the second wall)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import undefer

from millbook_billing.models import Attachment
from millbook_platform.pagination import PageMeta, PageParams, paginate

SORTABLE = {"filename": Attachment.filename, "size_bytes": Attachment.size_bytes}


async def get(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    attachment_id: uuid.UUID,
    *,
    with_content: bool = False,
    purpose: str | None = None,
    lock: bool = False,
) -> Attachment | None:
    statement = select(Attachment).where(
        Attachment.tenant_id == tenant_id, Attachment.id == attachment_id
    )
    if purpose is not None:
        statement = statement.where(Attachment.purpose == purpose)
    if with_content:
        statement = statement.options(undefer(Attachment.content))
    if lock:
        # Locking re-reads the row: what another transaction committed meanwhile counts.
        statement = statement.with_for_update().execution_options(populate_existing=True)
    return await session.scalar(statement)


async def get_many(
    session: AsyncSession, tenant_id: uuid.UUID, ids: Sequence[uuid.UUID], *, purpose: str
) -> Sequence[Attachment]:
    statement = select(Attachment).where(
        Attachment.tenant_id == tenant_id, Attachment.id.in_(ids), Attachment.purpose == purpose
    )
    return (await session.scalars(statement.with_for_update())).all()


async def of_expenses(
    session: AsyncSession, tenant_id: uuid.UUID, expense_ids: Sequence[uuid.UUID]
) -> Sequence[Attachment]:
    statement = select(Attachment).where(
        Attachment.tenant_id == tenant_id, Attachment.expense_id.in_(expense_ids)
    )
    return (await session.scalars(statement.order_by(Attachment.created_at))).all()


async def list_page(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    page: PageParams,
    *,
    purpose: str,
    expense_id: uuid.UUID | None = None,
) -> tuple[Sequence[Attachment], PageMeta]:
    statement = select(Attachment).where(
        Attachment.tenant_id == tenant_id, Attachment.purpose == purpose
    )
    if expense_id is not None:
        statement = statement.where(Attachment.expense_id == expense_id)
    return await paginate(
        session,
        statement,
        page,
        created_at=Attachment.created_at,
        row_id=Attachment.id,
        sortable=SORTABLE,
    )


async def content_piece(
    session: AsyncSession, tenant_id: uuid.UUID, attachment_id: uuid.UUID, offset: int, size: int
) -> bytes | None:
    """`size` bytes of the content from `offset` (0-based); None when the file is gone.

    The column is stored EXTERNAL (uncompressed), so PostgreSQL reads only these pages.
    """
    piece = await session.scalar(
        select(func.substring(Attachment.content, offset + 1, size)).where(
            Attachment.tenant_id == tenant_id, Attachment.id == attachment_id
        )
    )
    return bytes(piece) if piece is not None else None


async def link_to_expense(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    attachment_ids: Sequence[uuid.UUID],
    expense_id: uuid.UUID,
) -> None:
    await session.execute(
        update(Attachment)
        .where(Attachment.tenant_id == tenant_id, Attachment.id.in_(attachment_ids))
        .values(expense_id=expense_id)
    )


async def remove(session: AsyncSession, tenant_id: uuid.UUID, attachment_id: uuid.UUID) -> None:
    await session.execute(
        delete(Attachment).where(Attachment.tenant_id == tenant_id, Attachment.id == attachment_id)
    )
