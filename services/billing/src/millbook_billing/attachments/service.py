"""Attachment use cases: store an upload (sniffed, size-bounded), read it back, delete it.

`store_upload` and `read_attachment` are the API other billing features build on.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import AsyncIterator, Collection, Sequence

from fastapi import UploadFile
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from millbook_billing.attachments import repository
from millbook_billing.attachments.domain import (
    CHUNK_BYTES,
    MAX_UPLOAD_BYTES,
    SNIFF_BYTES,
    UploadRejected,
    judge_upload,
)
from millbook_billing.models import Attachment
from millbook_platform.db import unit_of_work
from millbook_platform.errors import NotFound, PayloadTooLarge, ValidationFailed, field_error
from millbook_platform.pagination import PageMeta, PageParams

DEFAULT_KINDS = ("pdf", "png", "jpeg")
DOWNLOAD_CHUNK_BYTES = 256 * 1024


async def store_upload(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    upload: UploadFile,
    *,
    kinds: Collection[str] = DEFAULT_KINDS,
    max_bytes: int = MAX_UPLOAD_BYTES,
    purpose: str = "other",
) -> Attachment:
    """Read the upload in 64 KiB chunks (413 past `max_bytes`), judge it by its first
    bytes (422 on field `file` when it is not an allowed kind or not what its name says)
    and keep it with its size and sha256."""
    content = await _read_bounded(upload, max_bytes)
    if not content:
        raise ValidationFailed("The file is empty.", details=[field_error("file", "is empty")])
    try:
        sniffed = judge_upload(upload.filename, content[:SNIFF_BYTES], kinds)
    except UploadRejected as exc:
        raise ValidationFailed(str(exc), details=[field_error("file", str(exc))]) from exc
    attachment = Attachment(
        id=uuid.uuid4(),
        tenant_id=tenant_id,
        purpose=purpose,
        filename=sniffed.filename,
        media_type=sniffed.media_type,
        size_bytes=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        content=content,
    )
    session.add(attachment)
    await session.flush()
    return attachment


async def read_attachment(
    session: AsyncSession, tenant_id: uuid.UUID, attachment_id: uuid.UUID
) -> Attachment:
    """The attachment with its bytes loaded; 404 for an unknown or another tenant's id."""
    attachment = await repository.get(session, tenant_id, attachment_id, with_content=True)
    if attachment is None:
        raise _not_found(attachment_id)
    return attachment


async def get_attachment(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    attachment_id: uuid.UUID,
    *,
    purpose: str | None = None,
    lock: bool = False,
) -> Attachment:
    """The attachment's details, without its bytes."""
    attachment = await repository.get(session, tenant_id, attachment_id, purpose=purpose, lock=lock)
    if attachment is None:
        raise _not_found(attachment_id)
    return attachment


async def list_attachments(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    page: PageParams,
    *,
    purpose: str,
    expense_id: uuid.UUID | None = None,
) -> tuple[Sequence[Attachment], PageMeta]:
    return await repository.list_page(
        session, tenant_id, page, purpose=purpose, expense_id=expense_id
    )


async def delete_attachment(
    session: AsyncSession, tenant_id: uuid.UUID, attachment_id: uuid.UUID
) -> None:
    await repository.remove(session, tenant_id, attachment_id)


async def stream_content(
    sessions: async_sessionmaker[AsyncSession], attachment: Attachment
) -> AsyncIterator[bytes]:
    """The bytes in 256 KiB pieces, each read in a short transaction of its own, so a
    download never holds the whole file in memory nor a connection for its duration."""
    for offset in range(0, attachment.size_bytes, DOWNLOAD_CHUNK_BYTES):
        async with unit_of_work(sessions, attachment.tenant_id) as session:
            piece = await repository.content_piece(
                session, attachment.tenant_id, attachment.id, offset, DOWNLOAD_CHUNK_BYTES
            )
        if piece is None:  # deleted mid-download: end the body early
            return
        yield piece


async def _read_bounded(upload: UploadFile, max_bytes: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while chunk := await upload.read(CHUNK_BYTES):
        size += len(chunk)
        if size > max_bytes:
            raise PayloadTooLarge(
                f"The file is larger than {max_bytes // (1024 * 1024)} MB.",
                details=[field_error("file", f"at most {max_bytes} bytes")],
            )
        chunks.append(chunk)
    return b"".join(chunks)


def _not_found(attachment_id: uuid.UUID) -> NotFound:
    return NotFound(
        "No attachment with this id.", details=[field_error("attachment_id", str(attachment_id))]
    )
