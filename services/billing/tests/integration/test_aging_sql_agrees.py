"""The aging SQL agrees with the pure aging math on a random ledger, at past dates too.

`repository.party_buckets_query` sums each party's open documents per bucket inside
PostgreSQL; `aging.aging` (the source of truth) does it in Python. Here both read the
same seeded random ledger of invoices, credit notes, receipts (partial, full, over),
refunds, bills and supplier payments (some with an advance left over), and the
expected report is computed from the posting drafts alone, never from the database.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from millbook_billing.ledger.postings import (
    Account,
    DocumentRef,
    Fx,
    JournalDraft,
    Party,
    PostingLine,
    bill_posted,
    credit_note_issued,
    customer_receipt,
    customer_refund,
    invoice_issued,
    supplier_payment,
)
from millbook_billing.ledger.service import post_entry
from millbook_billing.reports import repository
from millbook_billing.reports.aging import BUCKETS, Aging, OpenItem, aging, party_aging
from millbook_platform.db import unit_of_work
from millbook_testing.callers import Caller

D = Decimal
USD = Fx.same("USD")
CENT = D("0.01")
START = date(2025, 1, 1)
AS_OF_DATES = (
    date(2024, 12, 31),  # before the first entry: nothing open
    date(2025, 2, 14),
    date(2025, 6, 30),
    date(2025, 9, 1),
    date(2025, 12, 31),
    date(2026, 3, 15),
    date(2027, 1, 1),  # after the last: everything still open is over 90 days
)


@dataclass
class RandomLedger:
    drafts: list[JournalDraft]
    customers: list[Party]
    suppliers: list[Party]


def money(rng: random.Random, low: int, high: int) -> Decimal:
    return D(rng.randrange(low * 100, high * 100)) / 100


def random_ledger(seed: int) -> RandomLedger:
    rng = random.Random(seed)
    names = ["Acme", "acme works", "Bolt & Co", "Ébène", "Zephyr", "ZEPHYR Ltd", "delta", "Omega"]
    customers = [Party("customer", uuid.uuid4(), name) for name in names]
    # One customer renamed half way: its later lines carry the new name.
    renamed = Party("customer", customers[4].party_id, "zephyr")
    suppliers = [Party("supplier", uuid.uuid4(), f"Supplier {n}") for n in range(4)]
    drafts: list[JournalDraft] = []
    for number in range(1, 121):
        issued = START + timedelta(days=rng.randrange(450))
        customer = rng.choice(customers)
        if customer.party_id == renamed.party_id and issued >= date(2025, 8, 1):
            customer = renamed
        due = None if number % 11 == 0 else issued + timedelta(days=rng.choice((0, 14, 30, 45)))
        invoice = DocumentRef("invoice", uuid.uuid4(), f"INV-{number:04d}", due)
        net = money(rng, 10, 2000)
        tax = (net * D("0.10")).quantize(CENT)
        drafts.append(
            invoice_issued(invoice=invoice, customer=customer, entry_date=issued, net=net,
                           tax=tax, total=net + tax, fx=USD)
        )  # fmt: skip
        open_amount = net + tax
        if rng.random() < 0.25:
            credit = (open_amount * D(rng.choice(("0.1", "0.25", "0.5")))).quantize(CENT)
            credit_tax = (credit / D("11")).quantize(CENT)
            drafts.append(
                credit_note_issued(
                    credit_note=DocumentRef("credit_note", uuid.uuid4(), f"CN-{number:04d}", None),
                    invoice=invoice, customer=customer,
                    entry_date=issued + timedelta(days=rng.randrange(1, 40)),
                    net=credit - credit_tax, tax=credit_tax, total=credit,
                    to_customer_credit=False, fx=USD,
                )
            )  # fmt: skip
            open_amount -= credit
        roll = rng.random()
        if roll < 0.7:
            paid = open_amount if roll < 0.45 else (open_amount / 2).quantize(CENT)
            extra = money(rng, 1, 50) if roll < 0.1 else D(0)  # over-payment: a credit
            day = issued + timedelta(days=rng.randrange(0, 120))
            payment = DocumentRef("payment", uuid.uuid4(), f"PAY-{number:04d}", None)
            drafts.append(
                customer_receipt(payment=payment, customer=customer, entry_date=day,
                                 amount=paid + extra, allocations=[(invoice, paid, USD)], fx=USD)
            )  # fmt: skip
            if extra:
                refund = DocumentRef("payment", uuid.uuid4(), f"REF-{number:04d}", None)
                drafts.append(
                    customer_refund(payment=refund, customer=customer,
                                    entry_date=day + timedelta(days=3), amount=extra, fx=USD)
                )  # fmt: skip
    for number in range(1, 41):
        posted = START + timedelta(days=rng.randrange(450))
        supplier = rng.choice(suppliers)
        bill = DocumentRef(
            "bill", uuid.uuid4(), f"B-{number:03d}", posted + timedelta(days=rng.choice((10, 30)))
        )
        net = money(rng, 20, 3000)
        tax = (net * D("0.10")).quantize(CENT)
        drafts.append(
            bill_posted(bill=bill, supplier=supplier, entry_date=posted,
                        received_goods_at_po_price=D(0), goods_billed_net=D(0),
                        expense_lines=[(Account.EXPENSE_OFFICE, net)], tax=tax,
                        total=net + tax, fx=USD)
        )  # fmt: skip
        if rng.random() < 0.7:
            paid = (net + tax) if rng.random() < 0.5 else ((net + tax) / 3).quantize(CENT)
            advance = money(rng, 5, 100) if rng.random() < 0.2 else D(0)
            payment = DocumentRef("payment", uuid.uuid4(), f"SP-{number:03d}", None)
            drafts.append(
                supplier_payment(payment=payment, supplier=supplier,
                                 entry_date=posted + timedelta(days=rng.randrange(0, 90)),
                                 amount=paid + advance, allocations=[(bill, paid, USD)], fx=USD)
            )  # fmt: skip
    return RandomLedger(drafts, customers, suppliers)


def items_from_drafts(
    drafts: Iterable[JournalDraft], account: Account, as_of: date, party_id: uuid.UUID | None
) -> list[OpenItem]:
    """The open documents of `account` at `as_of`, read off the drafts (no SQL)."""
    sign = -1 if account is Account.ACCOUNTS_PAYABLE else 1
    grouped: dict[tuple[uuid.UUID | None, uuid.UUID | None], list[PostingLine]] = {}
    for draft in drafts:
        for line in draft.lines if draft.entry_date <= as_of else ():
            party = line.party.party_id if line.party else None
            document = line.document.document_id if line.document else None
            if line.account is account and party_id in (None, party):
                grouped.setdefault((party, document), []).append(line)
    items = []
    for (party, document_id), lines in grouped.items():
        names = [line.party.name for line in lines if line.party]
        documents = [line.document for line in lines if line.document]
        dues = [d.due_date for d in documents if d.due_date is not None]
        items.append(
            OpenItem(
                party,
                max(names, default=None),
                max((d.document_type for d in documents), default=None),
                document_id,
                max((d.number for d in documents if d.number), default=None),
                max(dues, default=None),
                sum((sign * (line.debit - line.credit) for line in lines), D(0)),
            )
        )
    return items


def party_view(report: Aging) -> list[tuple[object, ...]]:
    return [
        (p.party_id, p.party_name, tuple(p.buckets[b] for b in BUCKETS), p.total)
        for p in report.parties
    ]


async def post_all(
    sessions: async_sessionmaker[AsyncSession], tenant: uuid.UUID, drafts: list[JournalDraft]
) -> None:
    async with unit_of_work(sessions, tenant) as session:
        for draft in drafts:
            await post_entry(session, tenant, draft)


@pytest.fixture
async def ledger(sessions, caller: Caller) -> RandomLedger:
    books = random_ledger(seed=20260630)
    await post_all(sessions, caller.tenant_id, books.drafts)
    return books


@pytest.mark.parametrize("account", [Account.ACCOUNTS_RECEIVABLE, Account.ACCOUNTS_PAYABLE])
async def test_sql_buckets_agree_with_the_pure_aging_at_every_date(
    sessions, caller: Caller, ledger: RandomLedger, account: Account
) -> None:
    seen_buckets: set[str] = set()
    negative_items = 0
    async with unit_of_work(sessions, caller.tenant_id) as session:
        for as_of in AS_OF_DATES:
            expected_items = items_from_drafts(ledger.drafts, account, as_of, None)
            expected = aging(expected_items, as_of)
            rows = await repository.party_buckets(
                session, caller.tenant_id, account, as_of=as_of, party_id=None
            )
            from_sql = party_aging(rows, as_of)
            assert party_view(from_sql) == party_view(expected), as_of
            assert (from_sql.summary, from_sql.total) == (expected.summary, expected.total)
            # The document-level path (?detail=items) reads the same documents.
            items = await repository.open_items(
                session, caller.tenant_id, account, as_of=as_of, party_id=None
            )
            assert sorted(items, key=str) == sorted(
                (i for i in expected_items if i.amount != 0), key=str
            ), as_of
            assert party_view(aging(items, as_of)) == party_view(expected)
            seen_buckets |= {b for b, amount in expected.summary.items() if amount}
            negative_items += sum(1 for i in expected_items if i.amount < 0)
    # The ledger is rich enough for the comparison to mean something.
    assert seen_buckets == set(BUCKETS)
    assert party_view(aging([], AS_OF_DATES[0])) == []
    if account is Account.ACCOUNTS_PAYABLE:
        assert negative_items > 0  # supplier advances


async def test_sql_buckets_for_one_party_agree(
    sessions, caller: Caller, ledger: RandomLedger
) -> None:
    zephyr = ledger.customers[4].party_id
    async with unit_of_work(sessions, caller.tenant_id) as session:
        for as_of in AS_OF_DATES:
            rows = await repository.party_buckets(
                session, caller.tenant_id, Account.ACCOUNTS_RECEIVABLE, as_of=as_of, party_id=zephyr
            )
            expected = aging(
                items_from_drafts(ledger.drafts, Account.ACCOUNTS_RECEIVABLE, as_of, zephyr), as_of
            )
            assert party_view(party_aging(rows, as_of)) == party_view(expected), as_of
    late = party_aging(rows, AS_OF_DATES[-1])
    assert [p.party_name for p in late.parties] == ["zephyr"]  # the greatest of its names
