"""Posting to the ledger: the one way financial facts become journal entries.

Callers build a draft with `postings` and post it in their own transaction, so the
entry commits or rolls back with the business change it records.
"""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from millbook_billing.ledger import repository
from millbook_billing.ledger.postings import (
    Account,
    DocumentRef,
    JournalDraft,
    Party,
    PostingLine,
)
from millbook_billing.models.ledger import JournalEntry, JournalLine


async def ensure_chart(session: AsyncSession, tenant_id: uuid.UUID) -> None:
    """Seed the tenant's chart of accounts unless it already has one."""
    if not await repository.has_chart(session, tenant_id):
        await repository.insert_chart(session, tenant_id)


async def post_entry(
    session: AsyncSession, tenant_id: uuid.UUID, draft: JournalDraft, *, actor: str | None = None
) -> uuid.UUID:
    """Post a balanced draft once per (source_type, source_id); a repeat returns the first id.

    Raises ValueError for an unbalanced draft.
    """
    if not draft.is_balanced:
        raise ValueError(
            f"unbalanced {draft.source_type} entry: "
            f"debits {draft.total_debit}, credits {draft.total_credit}"
        )
    await ensure_chart(session, tenant_id)
    return await _post_once(session, tenant_id, draft, actor=actor)


async def _post_once(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    draft: JournalDraft,
    *,
    actor: str | None,
    reverses_entry_id: uuid.UUID | None = None,
) -> uuid.UUID:
    existing = await repository.entry_for_source(
        session, tenant_id, draft.source_type, draft.source_id
    )
    if existing is not None:
        return existing.id
    entry_id = await repository.insert_entry(
        session, tenant_id, draft, actor=actor, reverses_entry_id=reverses_entry_id
    )
    if entry_id is not None:
        return entry_id
    # A concurrent transaction posted the same fact first; its entry is now committed.
    raced = await repository.entry_for_source(
        session, tenant_id, draft.source_type, draft.source_id
    )
    assert raced is not None
    return raced.id


async def reverse_entry(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    *,
    source_type: str,
    source_id: uuid.UUID,
    reversal_source_type: str,
    entry_date: date,
    actor: str | None = None,
) -> uuid.UUID:
    """Post the mirror image of a fact's entry (debits and credits swapped), once.

    The reversal keeps each line's party and document, so open items net to zero.
    Raises LookupError when the fact was never posted.
    """
    done = await repository.entry_for_source(session, tenant_id, reversal_source_type, source_id)
    if done is not None:
        return done.id
    original = await repository.entry_for_source(session, tenant_id, source_type, source_id)
    if original is None:
        raise LookupError(f"no {source_type} entry for {source_id}")
    lines = await repository.lines_of(session, [original.id])
    draft = reversal_draft(original, lines, reversal_source_type, entry_date)
    return await _post_once(session, tenant_id, draft, actor=actor, reverses_entry_id=original.id)


async def carried_base(
    session: AsyncSession, tenant_id: uuid.UUID, account: Account, document_id: uuid.UUID
) -> Decimal:
    """What an AR or AP account still holds for one document, in base, on its normal side
    (a receivable's debit, a payable's credit)."""
    balance = await repository.document_balance(session, tenant_id, account.value, document_id)
    return -balance if account is Account.ACCOUNTS_PAYABLE else balance


def reversal_draft(
    original: JournalEntry,
    lines: list[JournalLine],
    reversal_source_type: str,
    entry_date: date,
) -> JournalDraft:
    return JournalDraft(
        source_type=reversal_source_type,
        source_id=original.source_id,
        entry_date=entry_date,
        currency=original.currency,
        memo=f"Reversal of: {original.memo}"[:500],
        lines=tuple(_mirror(line) for line in lines),
    )


def _mirror(line: JournalLine) -> PostingLine:
    party = (
        Party(line.party_type, line.party_id, line.party_name or "")
        if line.party_type and line.party_id
        else None
    )
    document = (
        DocumentRef(line.document_type, line.document_id, line.document_number, line.due_date)
        if line.document_type and line.document_id
        else None
    )
    return PostingLine(
        Account(line.account_code), line.credit, line.debit, party, document, line.description
    )
