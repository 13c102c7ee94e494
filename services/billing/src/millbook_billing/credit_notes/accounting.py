"""How a credit note meets the ledger: one balanced entry, its total split between the
invoice's receivable (the part the open balance took) and customer credit (the rest)."""

from __future__ import annotations

from datetime import date as date_type
from decimal import Decimal

from millbook_billing.credit_notes.domain import CreditSplit, Placement
from millbook_billing.ledger import postings
from millbook_billing.ledger.postings import (
    DocumentRef,
    Fx,
    JournalDraft,
    OpenItem,
    Party,
)

ZERO = Decimal(0)


def credit_note_entry(
    *,
    credit_note: DocumentRef,
    invoice: DocumentRef,
    customer: Party,
    entry_date: date_type,
    split: CreditSplit,
    placement: Placement,
    fx: Fx,
    receivable: OpenItem | None = None,
) -> JournalDraft:
    """Sales + Tax Payable / Accounts Receivable (applied) + Customer Credits (the rest).

    The customer-credit part is converted on its own (`fx.to_base(rest)`), so applying or
    refunding that credit later at the same rate clears Customer Credits to the cent.
    Given the invoice's `receivable` (its open item before this credit), the applied part
    is a piece of it, so a credit that settles the invoice clears its receivable in base
    exactly; Sales takes the rounding.
    """
    if placement.applied + placement.customer_credit != split.total:
        raise ValueError("the placement must add up to the credit note's total")
    return postings.credit_note_issued(
        credit_note=credit_note,
        invoice=invoice,
        customer=customer,
        entry_date=entry_date,
        net=split.net,
        tax=split.tax,
        total=split.total,
        to_customer_credit=placement.applied == ZERO,
        fx=fx,
        receivable=receivable,
        applied=placement.applied,
    )
