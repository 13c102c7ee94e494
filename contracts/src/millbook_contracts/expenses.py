"""Billing's expense and document contracts.

Money travels as a decimal string with the currency's minor digits beside its
`currency_code`. An expense's `amount` is what was paid, tax included; `tax_amount`
is the part of it that is reclaimable input tax.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import ClassVar

from pydantic import BaseModel, ConfigDict

from millbook_contracts.base import Event


class _ExpenseFacts(Event):
    """The expense as it is after the change."""

    expense_id: uuid.UUID
    description: str
    amount: Decimal
    tax_amount: Decimal
    currency_code: str
    category: str  # office | travel | meals | software | marketing | other
    expense_date: date
    receipt_number: str | None = None
    vendor: str | None = None
    is_billable: bool
    customer_id: uuid.UUID | None = None
    status: str  # pending | approved | rejected
    attachment_ids: list[uuid.UUID] = []
    occurred_at: datetime

    def subject(self) -> str:
        return str(self.expense_id)


class ExpenseRecorded(_ExpenseFacts):
    """An expense was recorded and waits for approval."""

    event_type: ClassVar[str] = "billing.expense.recorded"


class ExpenseUpdated(_ExpenseFacts):
    """A pending expense was changed; `changed` names the fields that were."""

    event_type: ClassVar[str] = "billing.expense.updated"

    changed: list[str]


class ExpenseDeleted(Event):
    """A pending expense was deleted (with its receipts); nothing had been posted."""

    event_type: ClassVar[str] = "billing.expense.deleted"

    expense_id: uuid.UUID
    deleted_at: datetime

    def subject(self) -> str:
        return str(self.expense_id)


class ExpenseApproved(_ExpenseFacts):
    """An expense was approved and posted to the ledger (expense account and input tax
    against cash)."""

    event_type: ClassVar[str] = "billing.expense.approved"

    approved_by: str | None = None
    journal_entry_id: uuid.UUID | None = None


class ExpenseRejected(_ExpenseFacts):
    """An expense was rejected; nothing was posted."""

    event_type: ClassVar[str] = "billing.expense.rejected"

    reason: str
    rejected_by: str | None = None


class ExpenseInvoiced(_ExpenseFacts):
    """An approved billable expense was put on its customer's draft invoice (once)."""

    event_type: ClassVar[str] = "billing.expense.invoiced"

    invoice_id: uuid.UUID


class ExtractedField(BaseModel):
    """One value read from a document (text, ISO date or decimal string) and how sure
    the reading is, from 0 to 1."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    value: str | None = None
    confidence: float = 0.0


class DocumentProcessed(Event):
    """A supplier invoice or receipt was read (status `completed`) or could not be
    (status `failed`, with `error`)."""

    event_type: ClassVar[str] = "billing.document.processed"

    document_id: uuid.UUID
    document_type: str  # supplier_invoice | receipt
    file_name: str
    reference_id: uuid.UUID | None = None
    status: str  # completed | failed
    error: str | None = None
    extraction_method: str | None = None  # text_layer | ocr
    # supplier_name, document_number, document_date, due_date, currency_code,
    # subtotal, tax_amount, total_amount
    extracted: dict[str, ExtractedField] = {}
    processed_at: datetime

    def subject(self) -> str:
        return str(self.document_id)


EXPENSE_EVENTS: tuple[type[Event], ...] = (
    ExpenseRecorded,
    ExpenseUpdated,
    ExpenseDeleted,
    ExpenseApproved,
    ExpenseRejected,
    ExpenseInvoiced,
    DocumentProcessed,
)
