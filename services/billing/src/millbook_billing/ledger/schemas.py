"""Ledger responses: accounts with balances, entries with their lines inline."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from pydantic import BaseModel

from millbook_billing.models.ledger import JournalEntry, JournalLine, LedgerAccount
from millbook_platform.money import money_text


def _m(amount: Decimal, currency: str) -> str:
    return money_text(amount, currency) or "0"


class AccountBalance(BaseModel):
    code: str
    name: str
    account_type: str
    normal_side: str
    debit: str
    credit: str
    balance: str  # on the normal side: positive when the account holds its usual balance
    currency_code: str

    @classmethod
    def of(
        cls, account: LedgerAccount, debit: Decimal, credit: Decimal, currency: str
    ) -> AccountBalance:
        net = debit - credit if account.normal_side == "debit" else credit - debit
        return cls(
            code=account.code,
            name=account.name,
            account_type=account.account_type,
            normal_side=account.normal_side,
            debit=_m(debit, currency),
            credit=_m(credit, currency),
            balance=_m(net, currency),
            currency_code=currency,
        )


class EntryLine(BaseModel):
    line_no: int
    account_code: str
    debit: str
    credit: str
    party_type: str | None
    party_id: uuid.UUID | None
    party_name: str | None
    document_type: str | None
    document_id: uuid.UUID | None
    document_number: str | None
    due_date: date | None
    description: str | None

    @classmethod
    def of(cls, line: JournalLine, currency: str) -> EntryLine:
        return cls(
            line_no=line.line_no,
            account_code=line.account_code,
            debit=_m(line.debit, currency),
            credit=_m(line.credit, currency),
            party_type=line.party_type,
            party_id=line.party_id,
            party_name=line.party_name,
            document_type=line.document_type,
            document_id=line.document_id,
            document_number=line.document_number,
            due_date=line.due_date,
            description=line.description,
        )


class Entry(BaseModel):
    id: uuid.UUID
    entry_date: date
    source_type: str
    source_id: uuid.UUID
    memo: str
    currency_code: str
    actor: str | None
    reverses_entry_id: uuid.UUID | None
    created_at: datetime
    total_debit: str
    total_credit: str
    lines: list[EntryLine]

    @classmethod
    def of(cls, entry: JournalEntry, lines: list[JournalLine]) -> Entry:
        currency = entry.currency
        return cls(
            id=entry.id,
            entry_date=entry.entry_date,
            source_type=entry.source_type,
            source_id=entry.source_id,
            memo=entry.memo,
            currency_code=currency,
            actor=entry.actor,
            reverses_entry_id=entry.reverses_entry_id,
            created_at=entry.created_at,
            total_debit=_m(sum((x.debit for x in lines), Decimal(0)), currency),
            total_credit=_m(sum((x.credit for x in lines), Decimal(0)), currency),
            lines=[EntryLine.of(line, currency) for line in lines],
        )
