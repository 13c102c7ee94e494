"""How a credit note meets the ledger: one balanced entry, its total split between the
invoice's receivable (the part the open balance took) and customer credit (the rest)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date as date_type
from decimal import Decimal

from millbook_billing.credit_notes.domain import CreditSplit, Placement
from millbook_billing.ledger import postings
from millbook_billing.ledger.postings import (
    Account,
    DocumentRef,
    Fx,
    JournalDraft,
    OpenItem,
    Party,
    PostingLine,
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
    exactly and Sales takes the rounding; without it the receivable takes what is left of
    the total.
    """
    if placement.applied + placement.customer_credit != split.total:
        raise ValueError("the placement must add up to the credit note's total")
    if receivable is not None:
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
    draft = postings.credit_note_issued(
        credit_note=credit_note,
        invoice=invoice,
        customer=customer,
        entry_date=entry_date,
        net=split.net,
        tax=split.tax,
        total=split.total,
        to_customer_credit=placement.applied == ZERO,
        fx=fx,
    )
    if placement.applied == ZERO or placement.customer_credit == ZERO:
        return draft
    return _split_receivable(draft, fx.to_base(placement.customer_credit), credit_note)


def _split_receivable(
    draft: JournalDraft, customer_credit: Decimal, credit_note: DocumentRef
) -> JournalDraft:
    """The draft with `customer_credit` (base) of its receivable credit moved to Customer
    Credits: the same total credited, so the entry stays balanced."""
    receivables = [line for line in draft.lines if line.account == Account.ACCOUNTS_RECEIVABLE]
    if len(receivables) != 1 or receivables[0].debit != ZERO:
        raise ValueError("a credit note's entry credits one receivable")
    receivable = receivables[0]
    if not ZERO < customer_credit < receivable.credit:
        raise ValueError("the customer credit is a part of the receivable credited")
    lines: list[PostingLine] = []
    for line in draft.lines:
        if line is not receivable:
            lines.append(line)
            continue
        lines.append(replace(line, credit=line.credit - customer_credit))
        lines.append(
            PostingLine(
                Account.CUSTOMER_CREDITS,
                ZERO,
                customer_credit,
                party=line.party,
                document=credit_note,
            )
        )
    result = replace(draft, lines=tuple(lines))
    assert result.is_balanced
    return result
