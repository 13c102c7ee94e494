"""HTTP endpoints for documents (supplier invoices, receipts): parse, authorize, delegate."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import JSONResponse, StreamingResponse

from millbook_billing.attachments import service as attachments
from millbook_billing.attachments.http import BoundedUploadRoute, download_headers
from millbook_billing.documents import service
from millbook_billing.documents.domain import DocumentStatus, DocumentType
from millbook_billing.documents.repository import DocumentFilters
from millbook_billing.documents.schemas import DocumentOut, DocumentStatusOut
from millbook_platform.auth import Principal
from millbook_platform.deps import TenantSession, needs
from millbook_platform.pagination import (
    DataResponse,
    ListResponse,
    Page,
    list_response,
    parse_fields,
)

routes = APIRouter(tags=["documents"], route_class=BoundedUploadRoute)


@routes.post("/upload", status_code=201, response_model=DataResponse[DocumentOut])
async def upload_document(
    file: Annotated[UploadFile, File(description="A PDF, PNG or JPEG, at most 10 MB.")],
    principal: Annotated[Principal, needs("documents:write")],
    session: TenantSession,
    document_type: Annotated[DocumentType, Form()] = DocumentType.SUPPLIER_INVOICE,
    reference_id: Annotated[uuid.UUID | None, Form()] = None,
) -> DataResponse[DocumentOut]:
    """Upload a supplier invoice or receipt; it is read in the background (status `processing`)."""
    document = await service.upload_document(
        session,
        principal.tenant_id,
        file,
        document_type=document_type,
        reference_id=reference_id,
    )
    return DataResponse(data=DocumentOut.model_validate(document))


@routes.get("", response_model=None, responses={200: {"model": ListResponse[DocumentOut]}})
async def list_documents(
    principal: Annotated[Principal, needs("documents:read")],
    session: TenantSession,
    page: Page,
    status: DocumentStatus | None = None,
    document_type: DocumentType | None = None,
    reference_id: uuid.UUID | None = None,
) -> JSONResponse:
    """List uploaded documents, newest first, by status, type and reference."""
    fields = parse_fields(page.fields, DocumentOut)
    filters = DocumentFilters(
        status=status.value if status else None,
        document_type=document_type.value if document_type else None,
        reference_id=reference_id,
    )
    rows, meta = await service.list_documents(session, principal.tenant_id, filters, page)
    items = [DocumentOut.model_validate(row) for row in rows]
    return JSONResponse(list_response(items, meta, fields))


@routes.get("/{document_id}", response_model=DataResponse[DocumentOut])
async def get_document(
    document_id: uuid.UUID,
    principal: Annotated[Principal, needs("documents:read")],
    session: TenantSession,
) -> DataResponse[DocumentOut]:
    """A document and the fields read from it, each with its confidence."""
    document = await service.get_document(session, principal.tenant_id, document_id)
    return DataResponse(data=DocumentOut.model_validate(document))


@routes.get("/{document_id}/status", response_model=DataResponse[DocumentStatusOut])
async def document_status(
    document_id: uuid.UUID,
    principal: Annotated[Principal, needs("documents:read")],
    session: TenantSession,
) -> DataResponse[DocumentStatusOut]:
    """Whether a document is still processing, completed or failed (with the reason)."""
    document = await service.get_document(session, principal.tenant_id, document_id)
    return DataResponse(data=DocumentStatusOut.model_validate(document))


@routes.get(
    "/{document_id}/file",
    response_class=StreamingResponse,
    responses={200: {"content": {"application/pdf": {}, "image/png": {}, "image/jpeg": {}}}},
)
async def download_document(
    document_id: uuid.UUID,
    request: Request,
    principal: Annotated[Principal, needs("documents:read")],
    session: TenantSession,
) -> StreamingResponse:
    """Download the uploaded file itself."""
    document = await service.get_document(session, principal.tenant_id, document_id)
    attachment = await attachments.get_attachment(
        session, principal.tenant_id, document.attachment_id
    )
    return StreamingResponse(
        attachments.stream_content(request.app.state.sessions, attachment),
        media_type=attachment.media_type,
        headers=download_headers(attachment),
    )


router = APIRouter()
router.include_router(routes, prefix="/v1/documents")
