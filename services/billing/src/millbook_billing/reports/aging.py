"""Aging of open receivables and payables by days past due (pure, no I/O).

The bucket rules live here once: `bucket_of` reads `BUCKET_LIMITS`, and the SQL that
sums a party's open items per bucket (`repository.party_buckets_query`) is built from the
same table, so the two cannot drift; a test checks they agree on random ledgers.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

ZERO = Decimal(0)

# Each bucket but the last with the most days past due it holds; the last is open-ended.
BUCKET_LIMITS: tuple[tuple[str, int], ...] = (
    ("current", 0),
    ("days_30", 30),
    ("days_60", 60),
    ("days_90", 90),
)
OPEN_ENDED = "days_90_plus"
BUCKETS = (*(name for name, _ in BUCKET_LIMITS), OPEN_ENDED)


def days_past_due(as_of: date, due_date: date | None) -> int:
    """Days since the due date at the report date; 0 while not yet due (or with no due date)."""
    return max((as_of - due_date).days, 0) if due_date else 0


def bucket_of(days_overdue: int) -> str:
    """current (not due), days_30 (1-30), days_60 (31-60), days_90 (61-90), days_90_plus (>90)."""
    for name, limit in BUCKET_LIMITS:
        if days_overdue <= limit:
            return name
    return OPEN_ENDED


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
class PartyBuckets:
    """One party's open items summed per bucket at the report date (a SQL aggregate row)."""

    party_id: uuid.UUID | None
    party_name: str | None
    buckets: dict[str, Decimal]


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
    documents: tuple[AgedItem, ...]  # empty in a report of party totals only


@dataclass(frozen=True)
class Aging:
    as_of: date
    summary: dict[str, Decimal]
    total: Decimal
    parties: tuple[AgingParty, ...]
    with_documents: bool = True


def aging(items: Iterable[OpenItem], as_of: date) -> Aging:
    """Open items bucketed by days past due, summed per party and overall."""
    by_party: dict[uuid.UUID | None, list[AgedItem]] = {}
    for item in items:
        if item.amount != 0:
            by_party.setdefault(item.party_id, []).append(age(item, as_of))
    return _report(as_of, (_party(aged) for aged in by_party.values()), with_documents=True)


def party_aging(rows: Iterable[PartyBuckets], as_of: date) -> Aging:
    """The same report from per-party bucket sums (no documents): what `aging` gives for
    the items behind them, less each party's document list."""
    return _report(as_of, (_summed(row) for row in rows), with_documents=False)


def _summed(row: PartyBuckets) -> AgingParty:
    buckets = {bucket: row.buckets.get(bucket, ZERO) for bucket in BUCKETS}
    return AgingParty(row.party_id, row.party_name, buckets, sum(buckets.values(), ZERO), ())


def _report(as_of: date, parties: Iterable[AgingParty], *, with_documents: bool) -> Aging:
    ordered = tuple(sorted(parties, key=lambda p: ((p.party_name or "").lower(), str(p.party_id))))
    summary = {bucket: sum((p.buckets[bucket] for p in ordered), ZERO) for bucket in BUCKETS}
    return Aging(as_of, summary, sum(summary.values(), ZERO), ordered, with_documents)


def _party(aged: Sequence[AgedItem]) -> AgingParty:
    buckets = dict.fromkeys(BUCKETS, ZERO)
    for entry in aged:
        buckets[entry.bucket] += entry.item.amount
    documents = tuple(
        sorted(aged, key=lambda a: (a.item.due_date or date.min, str(a.item.document_number)))
    )
    return AgingParty(
        aged[0].item.party_id,
        party_name(entry.item.party_name for entry in aged),
        buckets,
        sum(buckets.values(), ZERO),
        documents,
    )


def party_name(names: Iterable[str | None]) -> str | None:
    """The name a party is shown under when its lines carry several (it was renamed): the
    greatest by code point, which SQL's `max(name COLLATE "C")` also picks."""
    return max((name for name in names if name is not None), default=None)
