"""Document rules: its types and the processing states (pure)."""

from __future__ import annotations

from enum import StrEnum


class DocumentType(StrEnum):
    SUPPLIER_INVOICE = "supplier_invoice"
    RECEIPT = "receipt"


class DocumentStatus(StrEnum):
    PROCESSING = "processing"
    COMPLETED = "completed"
    FAILED = "failed"


# Fields of a document that reached a final state never change again.
FINAL_STATUSES = frozenset({DocumentStatus.COMPLETED, DocumentStatus.FAILED})
