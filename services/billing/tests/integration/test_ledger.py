"""The ledger against real PostgreSQL: posting, immutability and balance in the database."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from millbook_billing.config import Settings
from millbook_billing.ledger.postings import (
    Account,
    DocumentRef,
    Fx,
    JournalDraft,
    Party,
    PostingLine,
    customer_receipt,
    invoice_issued,
)
from millbook_billing.ledger.service import ensure_chart, post_entry, reverse_entry
from millbook_billing.models.ledger import JournalEntry, JournalLine, LedgerAccount
from millbook_billing.tenants.consumer import ORGANIZATIONS, organizations_consumer
from millbook_billing.tenants.service import base_currency, organization_name
from millbook_contracts.events import OrganizationCreated, OrganizationUpdated
from millbook_platform.db import scope_to_tenant, unit_of_work

D = Decimal
USD = Fx.same("USD")
DAY = date(2026, 3, 1)


def customer() -> Party:
    return Party("customer", uuid.uuid4(), "Acme Machining")


def invoice_ref(due: date = date(2026, 3, 31)) -> DocumentRef:
    return DocumentRef("invoice", uuid.uuid4(), "INV-2026-0001", due)


def an_invoice(total: str = "110.00", ref: DocumentRef | None = None) -> JournalDraft:
    amount = D(total)
    return invoice_issued(
        invoice=ref or invoice_ref(),
        customer=customer(),
        entry_date=DAY,
        net=amount - amount / 11,
        tax=amount / 11,
        total=amount,
        fx=USD,
    )


async def post(
    sessions: async_sessionmaker[AsyncSession], tenant: uuid.UUID, draft: JournalDraft
) -> uuid.UUID:
    async with unit_of_work(sessions, tenant) as session:
        return await post_entry(session, tenant, draft, actor="user:test")


async def lines_by_account(
    sessions: async_sessionmaker[AsyncSession], tenant: uuid.UUID, entry_id: uuid.UUID
) -> dict[str, tuple[Decimal, Decimal]]:
    async with unit_of_work(sessions, tenant) as session:
        rows = await session.scalars(select(JournalLine).where(JournalLine.entry_id == entry_id))
        return {line.account_code: (line.debit, line.credit) for line in rows}


async def test_posting_an_invoice_seeds_the_chart_and_writes_balanced_lines(sessions) -> None:
    tenant = uuid.uuid4()
    entry_id = await post(sessions, tenant, an_invoice("110.00"))
    assert await lines_by_account(sessions, tenant, entry_id) == {
        "1100": (D("110.00"), D(0)),
        "2100": (D(0), D("10.00")),
        "4000": (D(0), D("100.00")),
    }
    async with unit_of_work(sessions, tenant) as session:
        codes = set(await session.scalars(select(LedgerAccount.code)))
        entry = await session.get(JournalEntry, entry_id)
    assert {"1000", "1100", "2000", "4000", "6900"} <= codes
    assert len(codes) == 20
    assert entry is not None
    assert (entry.source_type, entry.currency, entry.actor) == (
        "invoice_issued",
        "USD",
        "user:test",
    )


async def test_posting_the_same_fact_twice_returns_the_first_entry(sessions) -> None:
    tenant, draft = uuid.uuid4(), an_invoice()
    first = await post(sessions, tenant, draft)
    assert await post(sessions, tenant, draft) == first
    async with unit_of_work(sessions, tenant) as session:
        count = await session.scalar(
            select(func.count()).where(JournalEntry.source_id == draft.source_id)
        )
    assert count == 1


async def test_concurrent_posts_of_one_fact_make_one_entry(sessions) -> None:
    tenant, draft = uuid.uuid4(), an_invoice()
    await post(sessions, tenant, an_invoice())  # the chart exists before the race
    ids = await asyncio.gather(*(post(sessions, tenant, draft) for _ in range(4)))
    assert len(set(ids)) == 1


async def test_an_unbalanced_draft_is_refused_before_it_reaches_the_database(sessions) -> None:
    tenant = uuid.uuid4()
    draft = JournalDraft(
        "invoice_issued",
        uuid.uuid4(),
        DAY,
        "USD",
        "broken",
        (PostingLine(Account.CASH, D(10), D(0)), PostingLine(Account.SALES, D(0), D(9))),
    )
    with pytest.raises(ValueError, match="unbalanced"):
        await post(sessions, tenant, draft)


async def test_the_database_refuses_to_update_or_delete_ledger_rows(sessions) -> None:
    tenant = uuid.uuid4()
    entry_id = await post(sessions, tenant, an_invoice())
    for statement in (
        "UPDATE journal_lines SET debit = debit + 1 WHERE entry_id = :id",
        "DELETE FROM journal_lines WHERE entry_id = :id",
        "UPDATE journal_entries SET memo = 'edited' WHERE id = :id",
        "DELETE FROM journal_entries WHERE id = :id",
    ):
        with pytest.raises(DBAPIError, match="immutable"):
            async with unit_of_work(sessions, tenant) as session:
                await session.execute(text(statement), {"id": entry_id})
    assert (await lines_by_account(sessions, tenant, entry_id))["1100"] == (D("110.00"), D(0))


INSERT_ENTRY = text(
    "INSERT INTO journal_entries (id, tenant_id, entry_date, source_type, source_id, memo,"
    " currency, line_count, created_at)"
    " VALUES (:e, :t, :d, 'manual', :e, 'raw', 'USD', :count, now())"
)
INSERT_LINE = text(
    "INSERT INTO journal_lines (id, tenant_id, entry_id, line_no, entry_date, account_code,"
    " debit, credit) VALUES (gen_random_uuid(), :t, :e, :n, :d, :a, :dr, :cr)"
)


async def raw_commit(
    sessions: async_sessionmaker[AsyncSession],
    tenant: uuid.UUID,
    entry_id: uuid.UUID,
    *,
    declared: int | None,
    lines: list[tuple[str, int, int]],
    line_day: date = DAY,
) -> None:
    """Insert an entry (unless `declared` is None) and lines with raw SQL, then commit."""
    values = {"t": tenant, "e": entry_id, "d": DAY}
    async with sessions() as session:
        await session.begin()
        await scope_to_tenant(session, tenant)
        if declared is not None:
            await session.execute(INSERT_ENTRY, {**values, "count": declared})
        for number, (account, debit, credit) in enumerate(lines, start=1):
            line = {"n": number, "a": account, "dr": debit, "cr": credit, "d": line_day}
            await session.execute(INSERT_LINE, {**values, **line})
        # Each statement succeeded: the checks are deferred to the commit.
        await session.commit()


async def test_the_database_refuses_an_unbalanced_entry_at_commit(sessions) -> None:
    tenant, entry_id = uuid.uuid4(), uuid.uuid4()
    await post(sessions, tenant, an_invoice())
    with pytest.raises(DBAPIError, match="does not balance"):
        await raw_commit(
            sessions, tenant, entry_id, declared=2, lines=[("1000", 5, 0), ("4000", 0, 4)]
        )
    async with unit_of_work(sessions, tenant) as session:
        assert await session.get(JournalEntry, entry_id) is None


async def test_the_database_refuses_lines_added_to_a_posted_entry(sessions) -> None:
    tenant = uuid.uuid4()
    entry_id = await post(sessions, tenant, an_invoice("110.00"))
    with pytest.raises(DBAPIError, match="not the 3 it was posted with"):
        await raw_commit(
            sessions, tenant, entry_id, declared=None, lines=[("1000", 7, 0), ("4000", 0, 7)]
        )
    assert len(await lines_by_account(sessions, tenant, entry_id)) == 3


async def test_the_database_refuses_an_entry_missing_its_lines(sessions) -> None:
    tenant, entry_id = uuid.uuid4(), uuid.uuid4()
    await post(sessions, tenant, an_invoice())
    with pytest.raises(DBAPIError, match="has 0 lines, not the 2"):
        await raw_commit(sessions, tenant, entry_id, declared=2, lines=[])


async def test_the_database_refuses_lines_dated_apart_from_their_entry(sessions) -> None:
    tenant = uuid.uuid4()
    await post(sessions, tenant, an_invoice())
    with pytest.raises(DBAPIError, match="another tenant or date"):
        await raw_commit(
            sessions,
            tenant,
            uuid.uuid4(),
            declared=2,
            lines=[("1000", 5, 0), ("4000", 0, 5)],
            line_day=DAY + timedelta(days=1),
        )


async def test_reversal_mirrors_the_entry_once(sessions) -> None:
    tenant, draft = uuid.uuid4(), an_invoice("55.00")
    original = await post(sessions, tenant, draft)

    async def reverse() -> uuid.UUID:
        async with unit_of_work(sessions, tenant) as session:
            return await reverse_entry(
                session,
                tenant,
                source_type="invoice_issued",
                source_id=draft.source_id,
                reversal_source_type="invoice_voided",
                entry_date=DAY + timedelta(days=3),
            )

    reversal = await reverse()
    assert await reverse() == reversal != original
    assert await lines_by_account(sessions, tenant, reversal) == {
        "1100": (D(0), D("55.00")),
        "2100": (D("5.00"), D(0)),
        "4000": (D("50.00"), D(0)),
    }
    async with unit_of_work(sessions, tenant) as session:
        entry = await session.get(JournalEntry, reversal)
        invoice_balance = await session.scalar(
            select(func.sum(JournalLine.debit - JournalLine.credit)).where(
                JournalLine.account_code == "1100",
                JournalLine.document_id == draft.lines[0].document.document_id,  # type: ignore[union-attr]
            )
        )
    assert entry is not None
    assert entry.reverses_entry_id == original
    assert entry.entry_date == DAY + timedelta(days=3)
    assert invoice_balance == 0


async def test_reversing_a_fact_never_posted_is_a_lookup_error(sessions) -> None:
    tenant = uuid.uuid4()
    with pytest.raises(LookupError):
        async with unit_of_work(sessions, tenant) as session:
            await reverse_entry(
                session,
                tenant,
                source_type="invoice_issued",
                source_id=uuid.uuid4(),
                reversal_source_type="invoice_voided",
                entry_date=DAY,
            )


async def test_another_tenants_entries_are_invisible(sessions) -> None:
    mine, theirs = uuid.uuid4(), uuid.uuid4()
    await post(sessions, mine, an_invoice())
    their_entry = await post(sessions, theirs, an_invoice())
    async with unit_of_work(sessions, mine) as session:
        assert await session.get(JournalEntry, their_entry) is None
        visible = await session.scalar(
            select(func.count()).select_from(JournalLine).where(JournalLine.entry_id == their_entry)
        )
    assert visible == 0


async def test_a_foreign_receipt_posts_in_base_with_its_fx_difference(sessions) -> None:
    tenant, invoice = uuid.uuid4(), invoice_ref()
    buyer = customer()
    eur_then, eur_now = Fx("EUR", "USD", D("1.10")), Fx("EUR", "USD", D("1.12"))
    await post(
        sessions,
        tenant,
        invoice_issued(
            invoice=invoice, customer=buyer, entry_date=DAY, net=D(100), tax=D(0), total=D(100),
            fx=eur_then,
        ),
    )  # fmt: skip
    payment = DocumentRef("payment", uuid.uuid4(), "PAY-1", None)
    receipt = await post(
        sessions,
        tenant,
        customer_receipt(
            payment=payment, customer=buyer, entry_date=DAY, amount=D(100),
            allocations=[(invoice, D(100), eur_then)], fx=eur_now,
        ),
    )  # fmt: skip
    assert await lines_by_account(sessions, tenant, receipt) == {
        "1000": (D("112.00"), D(0)),
        "1100": (D(0), D("110.00")),
        "5200": (D(0), D("2.00")),
    }


def organization_event(
    tenant: uuid.UUID, name: str, currency: str, at: datetime, *, updated: bool
) -> OrganizationCreated | OrganizationUpdated:
    if updated:
        return OrganizationUpdated(
            organization_id=tenant, name=name, base_currency=currency, timezone="UTC",
            plan_tier="standard", changed=["name"], updated_at=at,
        )  # fmt: skip
    return OrganizationCreated(
        organization_id=tenant, name=name, base_currency=currency, created_at=at
    )


async def test_organization_events_keep_the_tenant_read_model_and_seed_the_chart(
    sessions, settings: Settings
) -> None:
    tenant = uuid.uuid4()
    consumer = organizations_consumer(settings, name=f"test-{uuid.uuid4().hex[:8]}")(sessions)
    start = datetime(2026, 1, 1, tzinfo=UTC)

    async def deliver(event: OrganizationCreated | OrganizationUpdated) -> str:
        envelope = event.envelope(tenant_id=tenant, source="/millbook/identity")
        return await consumer.apply(envelope, ORGANIZATIONS[event.event_type])

    async def state() -> tuple[str, str | None, int]:
        async with unit_of_work(sessions, tenant) as session:
            accounts = await session.scalar(select(func.count()).select_from(LedgerAccount))
            currency = await base_currency(session, tenant)
            return currency, await organization_name(session, tenant), accounts or 0

    assert await state() == ("USD", None, 0)
    assert await deliver(organization_event(tenant, "Precision CNC", "EUR", start, updated=False))
    assert await state() == ("EUR", "Precision CNC", 20)
    later = organization_event(
        tenant, "Precision CNC GmbH", "EUR", start + timedelta(days=2), updated=True
    )
    await deliver(later)
    stale = organization_event(tenant, "Old name", "GBP", start + timedelta(days=1), updated=True)
    await deliver(stale)
    assert await state() == ("EUR", "Precision CNC GmbH", 20)


async def test_seeding_the_chart_twice_changes_nothing(sessions) -> None:
    tenant = uuid.uuid4()
    for _ in range(2):
        async with unit_of_work(sessions, tenant) as session:
            await ensure_chart(session, tenant)
    async with unit_of_work(sessions, tenant) as session:
        assert await session.scalar(select(func.count()).select_from(LedgerAccount)) == 20
