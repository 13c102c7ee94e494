"""Billing payables event contracts: supplier bills and three-way matching results.

Money travels as a `Decimal` with the currency's minor digits beside its
`currency_code`; `tax_rate` and tolerances are fractions (`0.02` is 2%).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import ClassVar

from pydantic import BaseModel, ConfigDict

from millbook_contracts.base import Event

# Bills -------------------------------------------------------------------------------


class BillLine(BaseModel):
    """One line of a supplier bill: against a PO line, or an expense (`expense_category`)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    line_number: int
    po_line_number: int | None = None
    description: str
    quantity: Decimal
    unit_price: Decimal
    tax_rate: Decimal
    expense_category: str | None = None  # office | travel | meals | software | marketing | other
    subtotal: Decimal
    tax_amount: Decimal
    total_amount: Decimal


class _BillFacts(Event):
    """The bill as it is after the change."""

    bill_id: uuid.UUID
    internal_number: str | None = None  # BILL-2026-0001, assigned at approval
    bill_number: str  # the supplier's own invoice number
    supplier_id: uuid.UUID
    supplier_name: str
    purchase_order_id: uuid.UUID | None = None
    status: str  # draft | open | partial | paid | voided
    bill_date: date
    due_date: date
    currency_code: str
    exchange_rate: Decimal  # to the tenant's base currency, fixed at approval
    subtotal: Decimal
    tax_amount: Decimal
    total_amount: Decimal
    paid_amount: Decimal
    balance_amount: Decimal
    occurred_at: datetime

    def subject(self) -> str:
        return str(self.bill_id)


class BillCreated(_BillFacts):
    """A supplier's bill was entered as a draft (by hand or from an OCR document)."""

    event_type: ClassVar[str] = "billing.bill.created"

    lines: list[BillLine]
    origin: str = "manual"  # manual | document


class BillUpdated(_BillFacts):
    """A draft bill was edited; the payload is the whole draft after the change."""

    event_type: ClassVar[str] = "billing.bill.updated"

    lines: list[BillLine]


class BillDeleted(_BillFacts):
    """A draft bill was deleted; the payload is the draft as it was."""

    event_type: ClassVar[str] = "billing.bill.deleted"


class BillApproved(_BillFacts):
    """A bill was approved for payment and posted to accounts payable."""

    event_type: ClassVar[str] = "billing.bill.approved"

    lines: list[BillLine]
    match_result: str | None = None  # matched | exception | pending | None without a PO
    override_reason: str | None = None


class BillPaid(_BillFacts):
    """Payments settled a bill's whole balance."""

    event_type: ClassVar[str] = "billing.bill.paid"

    paid_at: date


class BillVoided(_BillFacts):
    """A bill was voided; its posting, if any, was reversed."""

    event_type: ClassVar[str] = "billing.bill.voided"

    reason: str | None = None


# Matching ----------------------------------------------------------------------------


class MatchingVariance(BaseModel):
    """One difference between the purchase order, its receipts and the bill."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    # price_variance | quantity_variance | unbilled_receipt | not_received | line_not_on_po
    # | currency_mismatch
    kind: str
    po_line_number: int | None = None
    bill_line_number: int | None = None
    expected: Decimal | None = None  # the PO price, or the received quantity
    actual: Decimal | None = None  # the billed price or quantity
    amount: Decimal  # its value in the bill's currency
    variance_percent: Decimal | None = None
    blocking: bool  # beyond tolerance: the bill needs an override to be approved


class MatchingCompleted(Event):
    """A bill was (re)matched against its purchase order and deliveries."""

    event_type: ClassVar[str] = "billing.matching.completed"

    matching_id: uuid.UUID
    bill_id: uuid.UUID
    purchase_order_id: uuid.UUID
    supplier_id: uuid.UUID
    result: str  # matched | exception
    currency_code: str
    price_tolerance: Decimal
    quantity_tolerance: Decimal
    variances: list[MatchingVariance]
    occurred_at: datetime

    def subject(self) -> str:
        return str(self.bill_id)


PAYABLES_EVENTS: tuple[type[Event], ...] = (
    BillUpdated,
    BillDeleted,
    BillCreated,
    BillApproved,
    BillPaid,
    BillVoided,
    MatchingCompleted,
)
