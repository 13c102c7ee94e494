"""The contract event a processed document becomes."""

from __future__ import annotations

from millbook_billing.models import Document
from millbook_contracts.expenses import DocumentProcessed, ExtractedField


def document_processed(document: Document) -> DocumentProcessed:
    assert document.processed_at is not None
    extracted = {
        name: ExtractedField(value=found["value"], confidence=found["confidence"])
        for name, found in (document.extracted or {}).items()
    }
    return DocumentProcessed(
        document_id=document.id,
        document_type=document.document_type,
        file_name=document.file_name,
        reference_id=document.reference_id,
        status=document.status,
        error=document.error,
        extraction_method=document.extraction_method,
        extracted=extracted,
        processed_at=document.processed_at,
    )
