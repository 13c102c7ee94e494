"""Billing receivables event contracts: invoices, credit notes, payments, recurring invoices.

Money travels as a `Decimal` with the currency's minor digits beside its
`currency_code`, as in `sales.py`. Each event carries what its known consumers need
so they never call back: analytics (amounts, balance, dates, customer) and the inbox
(`billing.invoice.sent` carries the recipient, the billing address and the lines).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import ClassVar

from pydantic import BaseModel, ConfigDict

from millbook_contracts.base import Event
from millbook_contracts.sales import Address


class InvoiceLine(BaseModel):
    """One priced line of an invoice or credit note; amounts rounded half-up per line."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    line_number: int
    description: str
    quantity: Decimal
    unit_price: Decimal
    discount_percent: Decimal
    tax_rate: Decimal
    subtotal: Decimal
    discount_amount: Decimal
    tax_amount: Decimal
    total_amount: Decimal


# Invoices ----------------------------------------------------------------------------


class _InvoiceFacts(Event):
    """The invoice as it is after the change."""

    invoice_id: uuid.UUID
    invoice_number: str | None = None  # assigned when the invoice is sent
    customer_id: uuid.UUID
    customer_name: str | None = None
    status: str  # draft | sent | partial | paid | overdue | voided
    invoice_date: date
    due_date: date
    currency_code: str
    exchange_rate: Decimal | None = None  # to the tenant's base currency, fixed at issue
    subtotal: Decimal
    discount_amount: Decimal
    tax_amount: Decimal
    total_amount: Decimal
    paid_amount: Decimal
    credited_amount: Decimal
    balance_amount: Decimal
    order_id: uuid.UUID | None = None
    quotation_id: uuid.UUID | None = None
    recurring_invoice_id: uuid.UUID | None = None
    occurred_at: datetime

    def subject(self) -> str:
        return str(self.invoice_id)


class InvoiceCreated(_InvoiceFacts):
    """A draft invoice was created: by hand, from a completed order or from a schedule."""

    event_type: ClassVar[str] = "billing.invoice.created"

    origin: str = "manual"  # manual | order | recurring


class InvoiceUpdated(_InvoiceFacts):
    """A draft invoice's details or lines changed; `changed` names the fields that did."""

    event_type: ClassVar[str] = "billing.invoice.updated"

    changed: list[str]


class InvoiceSent(_InvoiceFacts):
    """An invoice was issued: numbered, posted to the ledger; the inbox emails it from this."""

    event_type: ClassVar[str] = "billing.invoice.sent"

    invoice_number: str
    recipient_email: str | None = None
    billing_address: Address | None = None
    payment_terms: str | None = None
    notes: str | None = None
    terms: str | None = None
    lines: list[InvoiceLine]


class InvoicePartiallyPaid(_InvoiceFacts):
    """A payment, credit or credit note reduced an invoice's balance without settling it."""

    event_type: ClassVar[str] = "billing.invoice.partially_paid"

    invoice_number: str
    amount_applied: Decimal


class InvoicePaid(_InvoiceFacts):
    """An invoice's balance reached zero."""

    event_type: ClassVar[str] = "billing.invoice.paid"

    invoice_number: str
    amount_applied: Decimal
    paid_on: date


class InvoiceOverdue(_InvoiceFacts):
    """An unpaid invoice passed its due date; published once per invoice."""

    event_type: ClassVar[str] = "billing.invoice.overdue"

    invoice_number: str


class InvoiceVoided(_InvoiceFacts):
    """An issued invoice with nothing paid was cancelled; its ledger entry was reversed."""

    event_type: ClassVar[str] = "billing.invoice.voided"

    invoice_number: str
    reason: str | None = None


# Credit notes ------------------------------------------------------------------------


class CreditNoteIssued(Event):
    """A credit note reduced an invoice: `applied_amount` off its balance, the rest as credit."""

    event_type: ClassVar[str] = "billing.credit_note.issued"

    credit_note_id: uuid.UUID
    credit_note_number: str
    invoice_id: uuid.UUID
    invoice_number: str
    customer_id: uuid.UUID
    credit_date: date
    currency_code: str
    subtotal: Decimal
    tax_amount: Decimal
    total_amount: Decimal
    applied_amount: Decimal
    customer_credit_amount: Decimal
    reason: str | None = None
    occurred_at: datetime

    def subject(self) -> str:
        return str(self.credit_note_id)


# Payments ----------------------------------------------------------------------------


class PaymentAllocation(BaseModel):
    """The part of a payment settled against one invoice or bill."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    document_type: str  # invoice | bill
    document_id: uuid.UUID
    document_number: str | None = None
    amount: Decimal


class _PaymentFacts(Event):
    payment_id: uuid.UUID
    payment_number: str
    amount: Decimal
    currency_code: str
    payment_date: date
    payment_method: str | None = None
    payment_reference: str | None = None
    occurred_at: datetime

    def subject(self) -> str:
        return str(self.payment_id)


class PaymentReceived(_PaymentFacts):
    """A customer paid; `allocations` settled invoices, `unapplied_amount` became credit."""

    event_type: ClassVar[str] = "billing.payment.received"

    customer_id: uuid.UUID
    allocations: list[PaymentAllocation]
    unapplied_amount: Decimal


class PaymentMade(_PaymentFacts):
    """The business paid a supplier, settling the allocated bills."""

    event_type: ClassVar[str] = "billing.payment.made"

    supplier_id: uuid.UUID
    allocations: list[PaymentAllocation]


class PaymentRefunded(_PaymentFacts):
    """Customer credit was paid back: a receipt's unapplied part (`refund_of`) or the
    credit a credit note left (`credit_note_id`)."""

    event_type: ClassVar[str] = "billing.payment.refunded"

    customer_id: uuid.UUID
    refund_of: uuid.UUID | None = None
    credit_note_id: uuid.UUID | None = None


# Customer credit ---------------------------------------------------------------------


class CreditApplied(Event):
    """Customer credit held by a document settled an invoice later: a receipt's unapplied
    part (`source_type` `payment`) or the credit a credit note left (`credit_note`).

    Published on `POST /v1/payments/{id}/allocate` and `/v1/credit-notes/{id}/allocate`, once
    per invoice settled; keyed by the customer, so a customer's credit movements stay in order.
    """

    event_type: ClassVar[str] = "billing.credit.applied"

    application_id: uuid.UUID  # the allocation row: one event per credit applied
    source_type: str  # payment | credit_note
    source_id: uuid.UUID
    source_number: str
    customer_id: uuid.UUID
    invoice_id: uuid.UUID
    invoice_number: str
    amount: Decimal
    currency_code: str
    applied_on: date
    source_credit_left: Decimal  # what the source document still holds afterwards
    invoice_balance_amount: Decimal  # the invoice's open balance afterwards
    invoice_status: str  # partial | paid | overdue
    occurred_at: datetime

    def subject(self) -> str:
        return str(self.customer_id)


# Recurring invoices ------------------------------------------------------------------


class RecurringInvoiceGenerated(Event):
    """A schedule produced its invoice for one period (exactly once per period)."""

    event_type: ClassVar[str] = "billing.recurring_invoice.generated"

    recurring_invoice_id: uuid.UUID
    invoice_id: uuid.UUID
    invoice_number: str | None = None
    customer_id: uuid.UUID
    period_date: date
    next_date: date | None = None
    mode: str  # draft | issued
    currency_code: str
    total_amount: Decimal
    occurred_at: datetime

    def subject(self) -> str:
        return str(self.recurring_invoice_id)


BILLING_EVENTS: tuple[type[Event], ...] = (
    InvoiceCreated,
    InvoiceUpdated,
    InvoiceSent,
    InvoicePartiallyPaid,
    InvoicePaid,
    InvoiceOverdue,
    InvoiceVoided,
    CreditNoteIssued,
    PaymentReceived,
    PaymentMade,
    PaymentRefunded,
    CreditApplied,
    RecurringInvoiceGenerated,
)
