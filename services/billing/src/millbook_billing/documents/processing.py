"""The document processing job: reads each uploaded document off the request path.

A worker claims the oldest `processing` document with `FOR UPDATE SKIP LOCKED`
(two workers never take the same one), counts the attempt and leases it for
LEASE, and commits. It then reads the text in a thread (pypdf, pypdfium2 and
Tesseract block) holding no transaction or connection. A second transaction stores
the fields, moves the document to `completed` or `failed` and records
`billing.document.processed` together, provided the lease is still its own. A
worker that dies mid-way leaves the lease to expire and the next run reads the
document again; after MAX_ATTEMPTS the document fails instead of looping forever.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from millbook_billing.attachments import repository as attachments
from millbook_billing.documents import events, repository
from millbook_billing.documents.domain import DocumentStatus
from millbook_billing.documents.extraction import extract_fields
from millbook_billing.documents.reading import OCR_MAX_PAGES, OCR_TIMEOUT_S, ReadFailed, read_text
from millbook_billing.models import Document
from millbook_platform.app import PeriodicJob
from millbook_platform.db import scope_to_all_tenants, unit_of_work, utcnow
from millbook_platform.outbox import record_event

log = logging.getLogger("millbook.billing.documents")

ACTOR = "system:document-processing"
BATCH = 10
EVERY_S = 1.0
MAX_ATTEMPTS = 3
MAX_TEXT_CHARS = 200_000
# Longer than the slowest reading can take (every OCR page at its timeout).
LEASE = timedelta(seconds=OCR_TIMEOUT_S * OCR_MAX_PAGES + 60)


@dataclass(frozen=True)
class Outcome:
    status: DocumentStatus
    error: str | None = None
    method: str | None = None
    text: str | None = None
    extracted: dict[str, Any] | None = None


@dataclass(frozen=True)
class Claim:
    tenant_id: uuid.UUID
    document_id: uuid.UUID
    attempt: int
    content: bytes | None  # None when the file is gone
    media_type: str
    given_up: bool = False  # failed at the claim: nothing left to read


def read_document(content: bytes, media_type: str) -> Outcome:
    """Text and fields of one document; never raises (a failure is an outcome)."""
    try:
        reading = read_text(content, media_type)
    except ReadFailed as exc:
        return Outcome(DocumentStatus.FAILED, error=str(exc))
    except Exception:
        log.exception("reading a document failed unexpectedly")
        return Outcome(DocumentStatus.FAILED, error="The document could not be read.")
    if not reading.text.strip():
        return Outcome(
            DocumentStatus.FAILED,
            error="No text could be read from the document.",
            method=reading.method,
        )
    extraction = extract_fields(reading.text, ocr=reading.method == "ocr")
    return Outcome(
        DocumentStatus.COMPLETED,
        method=reading.method,
        text=reading.text[:MAX_TEXT_CHARS],
        extracted=extraction.as_dict(),
    )


async def process_documents(
    sessions: async_sessionmaker[AsyncSession],
    *,
    source: str,
    limit: int = BATCH,
    now: datetime | None = None,
) -> int:
    """Process up to `limit` waiting documents; returns how many were claimed."""
    processed = 0
    while processed < limit:
        claim = await claim_next(sessions, source=source, now=now or utcnow())
        if claim is None:
            break
        processed += 1
        if claim.given_up:
            continue
        if claim.content is None:
            outcome = Outcome(DocumentStatus.FAILED, error="The uploaded file is gone.")
        else:
            outcome = await asyncio.to_thread(read_document, claim.content, claim.media_type)
        await complete(sessions, claim, outcome, source=source)
    return processed


async def claim_next(
    sessions: async_sessionmaker[AsyncSession], *, source: str, now: datetime
) -> Claim | None:
    """Lease the next document to read, or None when there is none. A document that
    has used up its attempts is failed here instead (and reported as claimed)."""
    async with unit_of_work(sessions) as session:
        await scope_to_all_tenants(session)  # a system job: every tenant's documents
        document = await repository.claim_next(session, now)
        if document is None:
            return None
        if document.attempts >= MAX_ATTEMPTS:
            error = f"Reading the document failed {document.attempts} times; it was given up."
            await _finish(session, document, Outcome(DocumentStatus.FAILED, error=error), source)
            return Claim(document.tenant_id, document.id, document.attempts, None, "", True)
        document.attempts += 1
        document.claimed_until = now + LEASE
        attachment = await attachments.get(
            session, document.tenant_id, document.attachment_id, with_content=True
        )
        return Claim(
            tenant_id=document.tenant_id,
            document_id=document.id,
            attempt=document.attempts,
            content=attachment.content if attachment else None,
            media_type=attachment.media_type if attachment else "",
        )


async def complete(
    sessions: async_sessionmaker[AsyncSession], claim: Claim, outcome: Outcome, *, source: str
) -> None:
    """Store the outcome of a claim, unless another worker has taken the document over."""
    async with unit_of_work(sessions, claim.tenant_id) as session:
        document = await repository.lock(session, claim.tenant_id, claim.document_id)
        if (
            document is None
            or document.status != DocumentStatus.PROCESSING
            or document.attempts != claim.attempt
        ):
            return  # finished or taken over by another worker after our lease ran out
        await _finish(session, document, outcome, source)


async def _finish(session: AsyncSession, document: Document, outcome: Outcome, source: str) -> None:
    document.status = outcome.status.value
    document.error = outcome.error
    document.extraction_method = outcome.method
    document.text = outcome.text
    document.extracted = outcome.extracted
    document.claimed_until = None
    document.processed_at = utcnow()
    await session.flush()
    record_event(
        session,
        events.document_processed(document),
        tenant_id=document.tenant_id,
        source=source,
        actor=ACTOR,
    )


def processing_job(source: str) -> PeriodicJob:
    """The job as a platform job, run beside the HTTP app every EVERY_S seconds."""

    async def run(sessions: async_sessionmaker[AsyncSession]) -> int:
        return await process_documents(sessions, source=source)

    return PeriodicJob(name="document-processing", every_s=EVERY_S, run=run)
