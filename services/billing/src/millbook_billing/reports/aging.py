"""Aging of open receivables and payables by days past due (pure, no I/O)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

ZERO = Decimal(0)

BUCKETS = ("current", "days_30", "days_60", "days_90", "days_90_plus")


def days_past_due(as_of: date, due_date: date | None) -> int:
    """Days since the due date at the report date; 0 while not yet due (or with no due date)."""
    return max((as_of - due_date).days, 0) if due_date else 0


def bucket_of(days_overdue: int) -> str:
    """current (not due), days_30 (1-30), days_60 (31-60), days_90 (61-90), days_90_plus (>90)."""
    if days_overdue <= 0:
        return "current"
    if days_overdue <= 30:
        return "days_30"
    if days_overdue <= 60:
        return "days_60"
    return "days_90" if days_overdue <= 90 else "days_90_plus"


@dataclass(frozen=True)
class OpenItem:
    """One document's open balance at the report date (a SQL aggregate row)."""

    party_id: uuid.UUID | None
    party_name: str | None
    document_type: str | None
    document_id: uuid.UUID | None
    document_number: str | None
    due_date: date | None
    amount: Decimal


@dataclass(frozen=True)
class AgedItem:
    item: OpenItem
    days_past_due: int
    bucket: str


def age(item: OpenItem, as_of: date) -> AgedItem:
    days = days_past_due(as_of, item.due_date)
    return AgedItem(item, days, bucket_of(days))


@dataclass(frozen=True)
class AgingParty:
    party_id: uuid.UUID | None
    party_name: str | None
    buckets: dict[str, Decimal]
    total: Decimal
    documents: tuple[AgedItem, ...]


@dataclass(frozen=True)
class Aging:
    as_of: date
    summary: dict[str, Decimal]
    total: Decimal
    parties: tuple[AgingParty, ...]


def aging(items: Iterable[OpenItem], as_of: date) -> Aging:
    """Open items bucketed by days past due, summed per party and overall."""
    by_party: dict[uuid.UUID | None, list[AgedItem]] = {}
    for item in items:
        if item.amount != 0:
            by_party.setdefault(item.party_id, []).append(age(item, as_of))
    parties = tuple(
        sorted(
            (_party(aged) for aged in by_party.values()),
            key=lambda p: ((p.party_name or "").lower(), str(p.party_id)),
        )
    )
    summary = {bucket: sum((p.buckets[bucket] for p in parties), ZERO) for bucket in BUCKETS}
    return Aging(as_of, summary, sum(summary.values(), ZERO), parties)


def _party(aged: Sequence[AgedItem]) -> AgingParty:
    buckets = dict.fromkeys(BUCKETS, ZERO)
    for entry in aged:
        buckets[entry.bucket] += entry.item.amount
    documents = tuple(
        sorted(aged, key=lambda a: (a.item.due_date or date.min, str(a.item.document_number)))
    )
    first = aged[0].item
    return AgingParty(
        first.party_id, first.party_name, buckets, sum(buckets.values(), ZERO), documents
    )
