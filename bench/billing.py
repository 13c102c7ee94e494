"""Billing benchmark: invoice-to-cash through the gateway, reports over 100,000 invoices, a
million-row invoice export.

Run with the stack up (`make up`, then `make bench`, or `uv run python bench/billing.py`).

Part 1 issues invoices of 5 lines and pays them through a gateway for 30 s at a fixed
concurrency (`POST /v1/invoices`, `POST /v1/invoices/{id}/send`, `POST /v1/payments`)
and prints requests/s with p50/p99 per step, and the whole rate as a ratio to the
gateway's bare authenticated GET measured just before with the same client. Like
`bench/gateway.py` it starts its own gateway process with the demo organization's rate
limit lifted.

Part 2 seeds the ledger of 100,000 invoices (with their receipts and some expenses)
into a scratch database with COPY, then times the profit-and-loss and AR aging
reports through the service code (SQL plus the report math, not HTTP): AR aging as the
API answers by default (party totals per bucket, summed by the database) and with
`?detail=items` (every open document too, aged in Python). Beside each it
prints PostgreSQL's own `EXPLAIN (ANALYZE)` execution time of the report's query — the
floor no code on top of it can beat — and the ratio. The machines are shared and
noisy, so only the ratios compare across runs.

Part 3 COPYs 1,000,000 invoices of one tenant (and 100,000 of another) into a scratch
database and reads `GET /v1/invoices/export`'s service code (`csv_stream`, a server-side
cursor in batches) to the end: rows/s, time to the first row, bytes, and tracemalloc's
peak at both sizes (the ratio shows whether memory is flat). The floor is PostgreSQL's
own `COPY (the same query) TO STDOUT` as CSV.

`--part 2 --profile test` (or `--part 3`) runs against the test stack of `MILLBOOK_TEST_SLOT`.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import itertools
import random
import statistics
import sys
import time
import tracemalloc
import uuid
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import psycopg
from psycopg import sql
from rich.console import Console
from rich.table import Table
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from millbook_billing.invoices import export
from millbook_billing.invoices.repository import InvoiceFilters
from millbook_billing.ledger import postings
from millbook_billing.ledger.postings import DocumentRef, Fx, JournalDraft, Party
from millbook_billing.ledger.service import ensure_chart
from millbook_billing.reports import repository, service
from millbook_billing.reports.domain import PeriodKind
from millbook_platform.db import create_engine, session_factory, unit_of_work
from millbook_stack import api
from millbook_stack.control import is_running
from millbook_stack.profiles import Profile, profile_named
from millbook_testing.infra import migrate

console = Console(soft_wrap=True)
D = Decimal
USD = Fx.same("USD")
FIRST_DAY, LAST_DAY = date(2025, 1, 1), date(2026, 6, 30)
AS_OF = date(2026, 6, 30)
REPEATS = 7


# -- part 2: the reports over a big ledger ------------------------------------------------


@dataclass
class Seeded:
    entries: int = 0
    lines: int = 0


def ledger_drafts(invoices: int, seed: int = 2026) -> Iterator[JournalDraft]:
    """Invoices over 18 months for 1,000 customers; most paid, some partly, some expenses."""
    rng = random.Random(seed)
    customers = [Party("customer", uuid.uuid4(), f"Customer {n:04d}") for n in range(1000)]
    span = (LAST_DAY - FIRST_DAY).days
    for number in range(1, invoices + 1):
        issued = FIRST_DAY + timedelta(days=rng.randrange(span))
        customer = rng.choice(customers)
        net = D(rng.randrange(5_000, 500_000)) / 100
        tax = (net * D("0.10")).quantize(D("0.01"))
        invoice = DocumentRef(
            "invoice", uuid.uuid4(), f"INV-{issued.year}-{number:06d}", issued + timedelta(30)
        )
        yield postings.invoice_issued(
            invoice=invoice, customer=customer, entry_date=issued, net=net, tax=tax,
            total=net + tax, fx=USD,
        )  # fmt: skip
        paid_on = issued + timedelta(days=rng.randrange(0, 75))
        share = rng.random()
        if share < 0.8 and paid_on <= LAST_DAY:
            amount = net + tax if share < 0.65 else ((net + tax) / 2).quantize(D("0.01"))
            payment = DocumentRef("payment", uuid.uuid4(), f"PAY-{number:06d}", None)
            yield postings.customer_receipt(
                payment=payment, customer=customer, entry_date=paid_on, amount=amount,
                allocations=[(invoice, amount, USD)], fx=USD,
            )  # fmt: skip
        if number % 20 == 0:
            yield postings.expense_approved(
                expense_id=uuid.uuid4(), category=rng.choice(["office", "travel", "software"]),
                entry_date=issued, net=D(rng.randrange(1_000, 50_000)) / 100, tax=D(0), fx=USD,
            )  # fmt: skip


ENTRY_COLUMNS = (
    "id", "tenant_id", "entry_date", "source_type", "source_id", "memo", "currency",
    "line_count", "created_at",
)  # fmt: skip
LINE_COLUMNS = (
    "id", "tenant_id", "entry_id", "line_no", "entry_date", "account_code", "debit", "credit",
    "party_type", "party_id", "party_name", "document_type", "document_id", "document_number",
    "due_date",
)  # fmt: skip


def plain_dsn(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


def ledger_rows(
    tenant: uuid.UUID, invoices: int
) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """The entries and lines of `ledger_drafts`, as rows for COPY."""
    entries: list[tuple[Any, ...]] = []
    lines: list[tuple[Any, ...]] = []
    for draft in ledger_drafts(invoices):
        entry_id = uuid.uuid4()
        entries.append(
            (entry_id, tenant, draft.entry_date, draft.source_type, draft.source_id,
             draft.memo, draft.currency, len(draft.lines), "now")
        )  # fmt: skip
        for number, line in enumerate(draft.lines, start=1):
            party, document = line.party, line.document
            lines.append(
                (uuid.uuid4(), tenant, entry_id, number, draft.entry_date, line.account.value,
                 line.debit, line.credit,
                 party.party_type if party else None, party.party_id if party else None,
                 party.name if party else None,
                 document.document_type if document else None,
                 document.document_id if document else None,
                 document.number if document else None,
                 document.due_date if document else None)
            )  # fmt: skip
    return entries, lines


# What the deferred triggers check per entry, checked here once for the whole load.
LEDGER_VIOLATIONS = """
SELECT count(*) FROM (
    SELECT e.id FROM journal_entries e LEFT JOIN journal_lines l ON l.entry_id = e.id
    GROUP BY e.id, e.line_count
    HAVING coalesce(sum(l.debit), 0) <> coalesce(sum(l.credit), 0)
        OR count(l.id) <> e.line_count
        OR count(*) FILTER (WHERE l.entry_date <> e.entry_date OR l.tenant_id <> e.tenant_id) > 0
) AS broken
"""


async def seed_ledger(url: str, tenant: uuid.UUID, invoices: int) -> Seeded:
    """COPY the entries and lines in, then check every entry as the triggers would.

    The per-row commit triggers are switched off for the load (the owner may) and the
    same rules are checked afterwards in one set-based query: identical guarantee,
    minutes faster.
    """
    started = time.time()
    entries, lines = ledger_rows(tenant, invoices)
    built = time.time()
    async with await psycopg.AsyncConnection.connect(plain_dsn(url)) as conn:
        await conn.execute("SELECT set_config('app.all_tenants', 'on', false)")
        for table in ("journal_entries", "journal_lines"):
            await conn.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
        # COPY cannot target a table behind row-level security: stage, then INSERT ... SELECT.
        for table, columns, rows in (
            ("journal_entries", ENTRY_COLUMNS, entries),
            ("journal_lines", LINE_COLUMNS, lines),
        ):
            names = ", ".join(columns)
            await conn.execute(
                f"CREATE TEMP TABLE staged_{table} ON COMMIT DROP AS "
                f"SELECT {names} FROM {table} WITH NO DATA"
            )
            async with conn.cursor().copy(f"COPY staged_{table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    await copy.write_row(row)
            await conn.execute(f"INSERT INTO {table} ({names}) SELECT {names} FROM staged_{table}")
        for table in ("journal_entries", "journal_lines"):
            await conn.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")
        broken = await (await conn.execute(LEDGER_VIOLATIONS)).fetchone()
        if broken is None or broken[0]:
            raise RuntimeError(f"{broken} seeded entries break the ledger's rules")
        await conn.commit()
        # As a live database would be: hint bits set, visibility map and statistics fresh.
        await conn.set_autocommit(True)
        await conn.execute("VACUUM (ANALYZE) journal_entries")
        await conn.execute("VACUUM (ANALYZE) journal_lines")
    console.print(
        f"seeded {len(entries):,} entries, {len(lines):,} lines in {time.time() - started:.1f} s "
        f"({built - started:.1f} s building them with the posting rules); every entry checked"
    )
    return Seeded(len(entries), len(lines))


async def explain_ms(session: AsyncSession, statement: Any) -> float:
    """PostgreSQL's own execution time of `statement` (EXPLAIN ANALYZE, same session and RLS)."""
    connection = await session.connection()
    compiled = statement.compile(dialect=connection.dialect, compile_kwargs={"literal_binds": True})
    plan = await connection.exec_driver_sql(f"EXPLAIN (ANALYZE, FORMAT JSON) {compiled}")
    return float(plan.scalar_one()[0]["Execution Time"])


async def timed(
    sessions: async_sessionmaker[AsyncSession],
    tenant: uuid.UUID,
    work: Callable[[AsyncSession], Awaitable[Any]],
) -> list[float]:
    """Milliseconds of `work` in a fresh tenant transaction, REPEATS times after a warm-up."""
    times = []
    for attempt in range(REPEATS + 1):
        async with unit_of_work(sessions, tenant) as session:
            started = time.perf_counter()
            await work(session)
            if attempt:
                times.append((time.perf_counter() - started) * 1000)
    return times


async def floor(
    sessions: async_sessionmaker[AsyncSession], tenant: uuid.UUID, statement: Any
) -> list[float]:
    times = []
    for attempt in range(REPEATS + 1):
        async with unit_of_work(sessions, tenant) as session:
            elapsed = await explain_ms(session, statement)
            if attempt:
                times.append(elapsed)
    return times


def drop_database(profile: Profile, dbname: str) -> None:
    with psycopg.connect(api.admin_dsn(profile), autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(dbname))
        )


async def part_two(profile: Profile, invoices: int) -> None:
    dbname = f"bench_billing_{uuid.uuid4().hex[:6]}"
    url = api.create_scratch_database(profile, dbname, owner="bench")
    await asyncio.to_thread(migrate, "billing", url)
    engine = create_engine(url, pool_size=2)
    sessions = session_factory(engine)
    tenant = uuid.uuid4()
    try:
        async with unit_of_work(sessions, tenant) as session:
            await ensure_chart(session, tenant)
        with console.status(f"seeding the ledger of {invoices:,} invoices"):
            seeded = await seed_ledger(url, tenant, invoices)
        year = (date(2025, 1, 1), date(2025, 12, 31))
        pnl_query = repository.period_totals_query(tenant, *year)
        receivable = postings.Account.ACCOUNTS_RECEIVABLE
        aging_query = repository.open_items_query(tenant, receivable, as_of=AS_OF, party_id=None)
        parties_query = repository.party_buckets_query(
            tenant, receivable, as_of=AS_OF, party_id=None
        )
        items = service.AgingDetail.ITEMS
        results = {
            "profit-loss 2025, monthly": (
                await timed(
                    sessions,
                    tenant,
                    lambda s: service.profit_loss(s, tenant, *year, PeriodKind.MONTHLY),
                ),
                await floor(sessions, tenant, pnl_query),
            ),
            f"AR aging as of {AS_OF}": (
                await timed(
                    sessions, tenant, lambda s: service.aging_report(s, tenant, "receivable", AS_OF)
                ),
                await floor(sessions, tenant, parties_query),
            ),
            f"AR aging as of {AS_OF}, ?detail=items": (
                await timed(
                    sessions,
                    tenant,
                    lambda s: service.aging_report(s, tenant, "receivable", AS_OF, None, items),
                ),
                await floor(sessions, tenant, aging_query),
            ),
        }
    finally:
        await engine.dispose()
        drop_database(profile, dbname)
    table = Table(
        title=f"reports over {invoices:,} invoices ({seeded.lines:,} ledger lines), "
        f"median of {REPEATS}"
    )
    for column in ("report", "service ms", "EXPLAIN ANALYZE ms (floor)", "service / floor"):
        table.add_column(column, justify="left" if column == "report" else "right")
    for name, (service_ms, floor_ms) in results.items():
        s, f = statistics.median(service_ms), statistics.median(floor_ms)
        table.add_row(name, f"{s:,.1f}", f"{f:,.1f}", f"{s / f:.2f} x")
    console.print(table)
    console.print(
        "The floor is the query alone inside PostgreSQL; the service adds the round trip, "
        "row decoding and the report math in Python."
    )


# -- part 3: a million-row invoice export ------------------------------------------------

EXPORT_FIRST_DAY, EXPORT_LAST_DAY = date(2019, 1, 1), date(2026, 6, 30)
CUSTOMERS = 2_000
# Weights in percent: (value, weight).
CURRENCIES = (("USD", 80), ("EUR", 15), ("JPY", 5))
STATUSES = (("paid", 70), ("sent", 12), ("overdue", 6), ("partial", 5), ("draft", 4), ("voided", 3))
# Names a spreadsheet export must quote or defuse: commas, quotes, formula starts, accents.
NAME_STEMS = (
    "Acme Mill", "Smith, Jones & Co", 'Bolt "Fasteners" Ltd', "=Formula Traders",
    "Müller Präzision GmbH", "-Dash Tools", "Northwind Metals", "Œuvre Atelier",
)  # fmt: skip
STAGED_INVOICE_COLUMNS = (
    "n", "invoice_number", "customer_id", "customer_name", "invoice_date", "status",
    "currency_code", "subtotal", "discount_amount", "tax_amount", "total_amount", "paid_amount",
    "credited_amount", "balance_amount",
)  # fmt: skip


def weighted(choices: tuple[tuple[str, int], ...], roll: int) -> str:
    """The value whose share of 0..99 `roll` falls in."""
    for value, weight in choices:
        if roll < weight:
            return value
        roll -= weight
    raise ValueError(roll)


def export_customers(seed: int) -> list[tuple[uuid.UUID, str, str]]:
    """(id, name, currency) of the tenant's customers."""
    rng = random.Random(seed)
    return [
        (
            uuid.UUID(int=rng.getrandbits(128), version=4),
            f"{NAME_STEMS[n % len(NAME_STEMS)]} {n:04d}",
            weighted(CURRENCIES, rng.randrange(100)),
        )
        for n in range(CUSTOMERS)
    ]


def invoice_copy_lines(
    customers: list[tuple[uuid.UUID, str, str]], count: int, seed: int
) -> Iterator[str]:
    """COPY text lines of `count` invoices, dated in order over 7.5 years like a live table:
    numbered per year (drafts have none), amounts that add up (subtotal - discount + tax =
    total; paid + credited + balance = total), statuses and currencies in realistic shares.
    Written for speed (a million in seconds): tables instead of per-row date and rng work."""
    rng = random.Random(seed).random
    span = (EXPORT_LAST_DAY - EXPORT_FIRST_DAY).days
    days = [EXPORT_FIRST_DAY + timedelta(days=d) for d in range(span + 1)]
    day_texts = [(day.isoformat(), str(day.year)) for day in days]
    statuses = [weighted(STATUSES, roll) for roll in range(100)]
    cells = [
        (f"{customer_id}\t{name}", currency, "%d" if currency == "JPY" else "%d.%02d")
        for customer_id, name, currency in customers
    ]
    counters = dict.fromkeys((year for _, year in day_texts), 0)
    for n in range(count):
        customer, currency, pattern = cells[int(rng() * len(cells))]
        day = min(span, max(0, n * span // count + int(rng() * 7) - 3))
        issued, year = day_texts[day]
        status = statuses[int(rng() * 100)]
        if status == "draft":
            number = "\\N"
        else:
            counters[year] = sequence = counters[year] + 1
            number = f"INV-{year}-{sequence:06d}"
        subtotal = 5_000 + int(rng() * 495_000)  # 50.00 to 5,000.00 (or yen)
        discount = subtotal * 5 // 100 if rng() < 0.2 else 0
        tax = ((subtotal - discount) * 10 + 50) // 100
        total = subtotal - discount + tax
        credited = total // 10 if status in ("partial", "paid") and rng() < 0.02 else 0
        paid = (
            total - credited
            if status == "paid"
            else (total - credited) // 2
            if status == "partial"
            else 0
        )
        balance = 0 if status == "voided" else total - paid - credited
        if pattern == "%d":
            amounts = "\t".join(
                str(a) for a in (subtotal, discount, tax, total, paid, credited, balance)
            )
        else:
            amounts = "\t".join(
                pattern % divmod(a, 100)
                for a in (subtotal, discount, tax, total, paid, credited, balance)
            )
        yield f"{n}\t{number}\t{customer}\t{issued}\t{status}\t{currency}\t{amounts}\n"


async def seed_invoices(url: str, tenant: uuid.UUID, count: int, seed: int) -> None:
    """The tenant's customers (the read model billing keeps) and `count` invoices, COPYed."""
    customers = export_customers(seed)
    async with await psycopg.AsyncConnection.connect(plain_dsn(url)) as conn:
        await conn.execute("SELECT set_config('app.all_tenants', 'on', false)")
        async with conn.cursor() as cursor:
            await cursor.executemany(
                "INSERT INTO customers (tenant_id, customer_id, customer_code, name,"
                " payment_terms, currency_code, status, as_of)"
                " VALUES (%s, %s, %s, %s, 'Net 30', %s, 'active', now())",
                [
                    (tenant, customer_id, f"CUST-{n:05d}", name, currency)
                    for n, (customer_id, name, currency) in enumerate(customers, start=1)
                ],
            )
        # COPY cannot target a table behind row-level security: stage, then INSERT ... SELECT.
        names = ", ".join(STAGED_INVOICE_COLUMNS)
        await conn.execute(
            "CREATE TEMP TABLE staged_invoices (n integer, invoice_number text, customer_id uuid,"
            " customer_name text, invoice_date date, status text,"
            " currency_code text, subtotal numeric, discount_amount numeric, tax_amount numeric,"
            " total_amount numeric, paid_amount numeric, credited_amount numeric,"
            " balance_amount numeric) ON COMMIT DROP"
        )
        async with conn.cursor().copy(f"COPY staged_invoices ({names}) FROM STDIN") as copy:
            lines = invoice_copy_lines(customers, count, seed)
            while chunk := "".join(itertools.islice(lines, 10_000)):
                await copy.write(chunk.encode())
        created = "(s.invoice_date + time '08:00' + make_interval(secs => s.n %% 36000))"
        await conn.execute(
            f"INSERT INTO invoices (id, tenant_id, created_at, updated_at, sent_at, origin,"
            f" payment_terms, due_date, {names.removeprefix('n, ')})"
            f" SELECT gen_random_uuid(), %s, {created}, {created},"
            f" CASE WHEN s.status <> 'draft' THEN {created} END, 'manual', 'Net 30',"
            f" s.invoice_date + 30,"
            f" {', '.join('s.' + c for c in STAGED_INVOICE_COLUMNS[1:])}"
            f" FROM staged_invoices AS s ORDER BY s.n",
            [tenant],
        )
        await conn.commit()


@dataclass
class ExportRun:
    rows: int = 0
    size: int = 0  # bytes, UTF-8 as the response sends them
    seconds: float = 0.0
    first_byte: float = 0.0  # the header: before any query
    first_row: float = 0.0  # the first invoice: after the query's plan has produced it
    peak: int = 0  # tracemalloc's peak, bytes

    @property
    def rate(self) -> float:
        return self.rows / self.seconds


async def drive_export(
    sessions: async_sessionmaker[AsyncSession], tenant: uuid.UUID, *, traced: bool
) -> ExportRun:
    """`csv_stream` (the service code behind GET /v1/invoices/export) read to the end by a
    client that keeps nothing; with `traced`, under tracemalloc for its peak."""
    run = ExportRun()
    if traced:
        tracemalloc.start()
    try:
        started = time.perf_counter()
        async for chunk in export.csv_stream(sessions, tenant, InvoiceFilters(today=date.today())):
            data = chunk.encode()  # what StreamingResponse does with each str chunk
            if not run.size:
                run.first_byte = time.perf_counter() - started
            elif not run.first_row:
                run.first_row = time.perf_counter() - started
            run.size += len(data)
            run.rows += data.count(b"\r\n")
        run.seconds = time.perf_counter() - started
        if traced:
            run.peak = tracemalloc.get_traced_memory()[1]
    finally:
        if traced:
            tracemalloc.stop()
    run.rows -= 1  # the header
    return run


@contextmanager
def captured_statements(engine: AsyncEngine) -> Iterator[list[tuple[str, Any]]]:
    """Every statement the engine sends, with its parameters, while the block runs."""
    statements: list[tuple[str, Any]] = []

    def capture(*args: Any) -> None:
        _, _, statement, parameters, _, _ = args
        statements.append((statement, parameters))

    event.listen(engine.sync_engine, "before_cursor_execute", capture)
    try:
        yield statements
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", capture)


async def copy_floor(url: str, tenant: uuid.UUID, statement: str, params: Any) -> ExportRun:
    """PostgreSQL's own `COPY (the export's query) TO STDOUT` as CSV, read to the end: the
    same rows, sort and row-level security, formatted by the server, no Python per row."""
    run = ExportRun()
    async with await psycopg.AsyncConnection.connect(plain_dsn(url)) as conn:
        await conn.execute("SELECT set_config('app.tenant_id', %s, false)", [str(tenant)])
        query = psycopg.AsyncClientCursor(conn).mogrify(statement, params)
        started = time.perf_counter()
        async with conn.cursor().copy(f"COPY ({query}) TO STDOUT WITH (FORMAT csv)") as copy:
            async for data in copy:
                if not run.size:
                    run.first_byte = run.first_row = time.perf_counter() - started
                run.size += len(data)
                run.rows += bytes(data).count(b"\n")
        run.seconds = time.perf_counter() - started
    return run


async def part_three(profile: Profile, big: int, small: int) -> None:
    dbname = f"bench_billing_{uuid.uuid4().hex[:6]}"
    url = api.create_scratch_database(profile, dbname, owner="bench")
    await asyncio.to_thread(migrate, "billing", url)
    engine = create_engine(url, pool_size=2)
    sessions = session_factory(engine)
    tenants = {small: uuid.uuid4(), big: uuid.uuid4()}
    results: dict[int, tuple[ExportRun, ExportRun, ExportRun]] = {}
    try:
        started = time.time()
        with console.status(f"seeding {small:,} and {big:,} invoices"):
            for seed, (count, tenant) in enumerate(tenants.items()):
                await seed_invoices(url, tenant, count, seed)
            async with await psycopg.AsyncConnection.connect(
                plain_dsn(url), autocommit=True
            ) as conn:
                await conn.execute("VACUUM (ANALYZE) invoices")
        console.print(
            f"seeded {small + big:,} invoices ({CUSTOMERS:,} customers per tenant) with COPY "
            f"in {time.time() - started:.1f} s"
        )
        for count, tenant in tenants.items():
            with console.status(f"exporting {count:,} invoices"):
                with captured_statements(engine) as statements:
                    timed_run = await drive_export(sessions, tenant, traced=False)
                query, params = next(s for s in statements if "FROM invoices" in s[0])
                floor_run = await copy_floor(url, tenant, query, params)
                traced_run = await drive_export(sessions, tenant, traced=True)
            for run in (timed_run, floor_run, traced_run):
                if run.rows != count:
                    raise RuntimeError(f"exported {run.rows:,} rows of {count:,}")
            results[count] = (timed_run, floor_run, traced_run)
    finally:
        await engine.dispose()
        drop_database(profile, dbname)
    table = Table(title="GET /v1/invoices/export's service code (csv_stream), read to the end")
    table.add_column("invoices exported", justify="left")
    for count in results:
        table.add_column(f"{count:,}", justify="right")
    lines: list[tuple[str, Callable[[ExportRun, ExportRun, ExportRun], str]]] = [
        ("CSV MB", lambda run, floor_run, traced: f"{run.size / 1e6:,.1f}"),
        ("export s", lambda run, floor_run, traced: f"{run.seconds:,.2f}"),
        ("export rows/s", lambda run, floor_run, traced: f"{run.rate:,.0f}"),
        ("export first row s", lambda run, floor_run, traced: f"{run.first_row:.2f}"),
        ("COPY TO STDOUT s (floor)", lambda run, floor_run, traced: f"{floor_run.seconds:,.2f}"),
        ("COPY rows/s", lambda run, floor_run, traced: f"{floor_run.rate:,.0f}"),
        ("COPY first row s", lambda run, floor_run, traced: f"{floor_run.first_row:.2f}"),
        (
            "export / floor",
            lambda run, floor_run, traced: f"{run.seconds / floor_run.seconds:.2f} x",
        ),
        ("peak MiB (tracemalloc)", lambda run, floor_run, traced: f"{traced.peak / 2**20:,.2f}"),
    ]
    for label, cell in lines:
        table.add_row(label, *(cell(*runs) for runs in results.values()))
    console.print(table)
    (_, _, small_traced), (_, _, big_traced) = results[small], results[big]
    console.print(
        f"memory: peak at {big:,} rows = {big_traced.peak / small_traced.peak:.2f} x the peak "
        f"at {small:,} ({big // small} x the rows); the header goes out at once "
        f"(first byte {results[big][0].first_byte * 1000:.1f} ms)."
    )
    console.print(
        "The floor is PostgreSQL's own COPY (the export's captured query) TO STDOUT as CSV: "
        "same rows, sort and row-level security, no Python per row. The peak is traced in a "
        "second pass (tracemalloc slows Python down). Measured: the service code path, not "
        "HTTP (StreamingResponse adds one send per chunk)."
    )


# -- part 1: invoice to cash through the gateway -----------------------------------------

LINES = [
    {"description": f"Machined part {n}", "quantity": "2", "unit_price": "125.50",
     "discount_percent": "5", "tax_rate": "0.10"}
    for n in range(1, 6)
]  # fmt: skip


async def until_billing_knows(client: httpx.AsyncClient, customer_id: str) -> None:
    """The customer reaches billing as a sales event; wait until an invoice can name it."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        response = await client.post(
            "/v1/invoices", json={"customer_id": customer_id, "line_items": LINES[:1]}
        )
        if response.status_code == 201:
            return
        await asyncio.sleep(0.5)
    raise RuntimeError(f"billing never learned of customer {customer_id}: {response.text}")


async def invoice_to_cash(
    client: httpx.AsyncClient, customer_id: str, stop_at: float, timings: dict[str, list[float]]
) -> int:
    """Create, send and pay invoices until `stop_at`; the number of failed requests."""
    errors = 0

    async def call(step: str, path: str, body: dict[str, Any] | None) -> dict[str, Any] | None:
        nonlocal errors
        started = time.perf_counter()
        response = await client.post(path, json=body)
        timings[step].append((time.perf_counter() - started) * 1000)
        if response.status_code >= 400:
            errors += 1
            return None
        data: dict[str, Any] = response.json()["data"]
        return data

    while time.perf_counter() < stop_at:
        draft = await call(
            "create", "/v1/invoices", {"customer_id": customer_id, "line_items": LINES}
        )
        if draft is None:
            continue
        sent = await call("send", f"/v1/invoices/{draft['id']}/send", None)
        if sent is None:
            continue
        payment = {
            "payment_type": "receipt", "customer_id": customer_id,
            "amount": sent["total_amount"], "payment_method": "bank_transfer",
            "allocations": [{"invoice_id": sent["id"], "amount": sent["total_amount"]}],
        }  # fmt: skip
        await call("pay", "/v1/payments", payment)
    return errors


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


async def load(url: str, token: str, seconds: int, concurrency: int) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(
        base_url=url, headers=headers, limits=limits, timeout=30
    ) as client:
        created = await client.post(
            "/v1/customers",
            json={"name": f"Bench customer {uuid.uuid4().hex[:6]}", "payment_terms": "Net 30"},
        )
        created.raise_for_status()
        customer_id = created.json()["data"]["id"]
        await until_billing_knows(client, customer_id)
        console.print(f"baseline: GET /v1/users/me through the gateway for {seconds} s ...")
        bare = await bare_get_rate(client, time.perf_counter() + seconds, concurrency)
        timings: dict[str, list[float]] = {"create": [], "send": [], "pay": []}
        began = time.perf_counter()
        stop_at = began + seconds
        errors = await asyncio.gather(
            *(invoice_to_cash(client, customer_id, stop_at, timings) for _ in range(concurrency))
        )
        elapsed = time.perf_counter() - began
    table = Table(title=f"invoice to cash through the gateway, {concurrency} workers, {seconds} s")
    for column in ("step", "requests", "requests/s", "p50 ms", "p99 ms"):
        table.add_column(column, justify="left" if column == "step" else "right")
    everything: list[float] = []
    for step, values in timings.items():
        everything.extend(values)
        table.add_row(
            step, f"{len(values):,}", f"{len(values) / elapsed:,.1f}",
            f"{percentile(values, 0.5):.1f}", f"{percentile(values, 0.99):.1f}",
        )  # fmt: skip
    table.add_row(
        "all", f"{len(everything):,}", f"{len(everything) / elapsed:,.1f}",
        f"{percentile(everything, 0.5):.1f}", f"{percentile(everything, 0.99):.1f}",
    )  # fmt: skip
    console.print(table)
    console.print(
        f"invoices paid: {len(timings['pay']) / elapsed:,.1f}/s; failed requests: {sum(errors)}"
    )
    rate = len(everything) / elapsed
    console.print(
        f"invoice to cash: {rate / bare:.2f} x the gateway's bare GET rate, same run "
        f"({rate:,.1f} vs {bare:,.1f} requests/s)"
    )


async def bare_get_rate(client: httpx.AsyncClient, stop_at: float, concurrency: int) -> float:
    """The baseline: the gateway's bare authenticated GET, same client and concurrency."""
    began, done = time.perf_counter(), 0

    async def worker() -> None:
        nonlocal done
        while time.perf_counter() < stop_at:
            (await client.get("/v1/users/me")).raise_for_status()
            done += 1

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return done / (time.perf_counter() - began)


def gateway_bench() -> Any:
    """bench/gateway.py, for its helpers: the demo admin's token, a gateway without limits."""
    spec = importlib.util.spec_from_file_location(
        "gateway_bench", Path(__file__).with_name("gateway.py")
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def part_one(profile: Profile, seconds: int, concurrency: int) -> None:
    edge = gateway_bench()
    token, organization = edge.log_in(profile)
    command, env = edge.gateway_process(profile, organization)
    url = f"http://127.0.0.1:{command[command.index('--port') + 1]}"
    with edge.running(command, env, url, "/health/live") as (gateway_url, _):
        asyncio.run(load(gateway_url, token, seconds, concurrency))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=("1", "2", "3", "all"), default="all")
    parser.add_argument("--profile", choices=("dev", "test"), default="dev")
    parser.add_argument("--invoices", type=int, default=100_000)
    parser.add_argument("--export-rows", type=int, default=1_000_000)
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    profile = profile_named(args.profile)
    if not is_running(profile):
        console.print("[red]The stack is not running: run `make up` first, then `make bench`.")
        return 1
    if args.part in ("1", "all"):
        part_one(profile, args.seconds, args.concurrency)
    if args.part in ("2", "all"):
        asyncio.run(part_two(profile, args.invoices))
    if args.part in ("3", "all"):
        asyncio.run(part_three(profile, args.export_rows, max(1, args.export_rows // 10)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
