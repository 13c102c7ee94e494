"""Document use cases: upload (processing happens later, off the request path), read."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from fastapi import UploadFile
from sqlalchemy.ext.asyncio import AsyncSession

from millbook_billing.attachments.service import store_upload
from millbook_billing.documents import repository
from millbook_billing.documents.domain import DocumentStatus, DocumentType
from millbook_billing.documents.repository import DocumentFilters
from millbook_billing.models import Document
from millbook_platform.errors import NotFound, field_error
from millbook_platform.pagination import PageMeta, PageParams

PURPOSE = "document"


async def upload_document(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    upload: UploadFile,
    *,
    document_type: DocumentType,
    reference_id: uuid.UUID | None,
) -> Document:
    """Keep the file and queue the document for reading (status `processing`)."""
    attachment = await store_upload(session, tenant_id, upload, purpose=PURPOSE)
    document = Document(
        id=uuid.uuid4(),
        tenant_id=tenant_id,
        attachment_id=attachment.id,
        document_type=document_type.value,
        file_name=attachment.filename,
        reference_id=reference_id,
        status=DocumentStatus.PROCESSING.value,
        attempts=0,
    )
    session.add(document)
    await session.flush()
    return document


async def get_document(
    session: AsyncSession, tenant_id: uuid.UUID, document_id: uuid.UUID
) -> Document:
    document = await repository.get_document(session, tenant_id, document_id)
    if document is None:
        raise NotFound(
            "No document with this id.", details=[field_error("document_id", str(document_id))]
        )
    return document


async def list_documents(
    session: AsyncSession, tenant_id: uuid.UUID, filters: DocumentFilters, page: PageParams
) -> tuple[Sequence[Document], PageMeta]:
    return await repository.list_page(session, tenant_id, filters, page)
