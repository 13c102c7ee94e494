"""Every query on documents; each names the tenant, except the processing job's claim."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from millbook_billing.documents.domain import DocumentStatus
from millbook_billing.models import Document
from millbook_platform.pagination import PageMeta, PageParams, paginate

SORTABLE = {"status": Document.status, "file_name": Document.file_name}


@dataclass(frozen=True)
class DocumentFilters:
    status: str | None = None
    document_type: str | None = None
    reference_id: uuid.UUID | None = None


async def get_document(
    session: AsyncSession, tenant_id: uuid.UUID, document_id: uuid.UUID
) -> Document | None:
    """The document with its `status` and `extracted` fields, or None (unknown, or
    another tenant's). `extracted` maps each of supplier_name, document_number,
    document_date, due_date, currency_code, subtotal, tax_amount, total_amount to
    `{"value": str | None, "confidence": float}` (dates ISO, amounts decimal strings);
    it is None until the document is `completed`."""
    return await session.scalar(
        select(Document).where(Document.tenant_id == tenant_id, Document.id == document_id)
    )


async def list_page(
    session: AsyncSession, tenant_id: uuid.UUID, filters: DocumentFilters, page: PageParams
) -> tuple[Sequence[Document], PageMeta]:
    statement = select(Document).where(Document.tenant_id == tenant_id)
    if filters.status is not None:
        statement = statement.where(Document.status == filters.status)
    if filters.document_type is not None:
        statement = statement.where(Document.document_type == filters.document_type)
    if filters.reference_id is not None:
        statement = statement.where(Document.reference_id == filters.reference_id)
    return await paginate(
        session,
        statement,
        page,
        created_at=Document.created_at,
        row_id=Document.id,
        sortable=SORTABLE,
    )


async def claim_next(session: AsyncSession, now: datetime) -> Document | None:
    """The oldest document still processing that no live worker holds, locked until the
    caller's transaction ends (the session must see all tenants)."""
    statement = (
        select(Document)
        .where(
            Document.status == DocumentStatus.PROCESSING.value,
            or_(Document.claimed_until.is_(None), Document.claimed_until < now),
        )
        .order_by(Document.created_at)
        .limit(1)
        .with_for_update(skip_locked=True)
    )
    return await session.scalar(statement)


async def lock(
    session: AsyncSession, tenant_id: uuid.UUID, document_id: uuid.UUID
) -> Document | None:
    return await session.scalar(
        select(Document)
        .where(Document.tenant_id == tenant_id, Document.id == document_id)
        .with_for_update()
    )
