"""Document response bodies."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import AliasChoices, BaseModel, ConfigDict, Field

from millbook_billing.documents.domain import DocumentStatus, DocumentType


class ExtractedValue(BaseModel):
    value: str | None = Field(description="Text, an ISO date or a decimal string.")
    confidence: float = Field(ge=0, le=1, description="How the value was found, 0 to 1.")


class DocumentStatusOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    status: DocumentStatus
    error: str | None
    processed_at: datetime | None


class DocumentOut(BaseModel):
    """An uploaded supplier invoice or receipt and, once `completed`, what was read from it."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    document_type: DocumentType
    file_name: str
    attachment_id: uuid.UUID
    reference_id: uuid.UUID | None
    status: DocumentStatus
    error: str | None
    extraction_method: str | None = Field(description="`text_layer` or `ocr`.")
    extracted_data: dict[str, ExtractedValue] | None = Field(
        validation_alias=AliasChoices("extracted_data", "extracted"),
        description="supplier_name, document_number, document_date, due_date, currency_code, "
        "subtotal, tax_amount, total_amount; null until the document is completed.",
    )
    created_at: datetime
    processed_at: datetime | None
