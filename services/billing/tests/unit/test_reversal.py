"""A reversal is the mirror image of the entry it reverses (pure)."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

from millbook_billing.ledger.postings import Account, DocumentRef, Fx, Party, invoice_issued
from millbook_billing.ledger.service import reversal_draft
from millbook_billing.models.ledger import JournalEntry, JournalLine


def stored(draft_lines, entry: JournalEntry) -> list[JournalLine]:
    return [
        JournalLine(
            entry_id=entry.id, line_no=n, entry_date=entry.entry_date,
            account_code=line.account.value, debit=line.debit, credit=line.credit,
            party_type=line.party.party_type if line.party else None,
            party_id=line.party.party_id if line.party else None,
            party_name=line.party.name if line.party else None,
            document_type=line.document.document_type if line.document else None,
            document_id=line.document.document_id if line.document else None,
            document_number=line.document.number if line.document else None,
            due_date=line.document.due_date if line.document else None,
        )
        for n, line in enumerate(draft_lines, start=1)
    ]  # fmt: skip


def test_reversal_swaps_every_side_and_keeps_parties_and_documents() -> None:
    invoice = DocumentRef("invoice", uuid.uuid4(), "INV-2026-0009", date(2026, 4, 30))
    customer = Party("customer", uuid.uuid4(), "Acme")
    draft = invoice_issued(
        invoice=invoice, customer=customer, entry_date=date(2026, 3, 31),
        net=Decimal("200.00"), tax=Decimal("20.00"), total=Decimal("220.00"),
        fx=Fx("EUR", "USD", Decimal("1.1")),
    )  # fmt: skip
    entry = JournalEntry(
        id=uuid.uuid4(), source_type=draft.source_type, source_id=draft.source_id,
        entry_date=draft.entry_date, memo=draft.memo, currency=draft.currency,
    )  # fmt: skip
    reversal = reversal_draft(entry, stored(draft.lines, entry), "invoice_voided", date(2026, 4, 2))
    assert (reversal.source_type, reversal.source_id) == ("invoice_voided", invoice.document_id)
    assert reversal.entry_date == date(2026, 4, 2)
    assert reversal.memo == f"Reversal of: {draft.memo}"
    assert reversal.is_balanced
    assert [(x.account, x.debit, x.credit) for x in reversal.lines] == [
        (x.account, x.credit, x.debit) for x in draft.lines
    ]
    receivable = reversal.lines[0]
    assert receivable.account is Account.ACCOUNTS_RECEIVABLE
    assert (receivable.party, receivable.document) == (customer, invoice)
