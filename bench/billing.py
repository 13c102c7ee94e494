"""Billing benchmark: invoice-to-cash through the gateway, and reports over 100,000 invoices.

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

`--part 2 --profile test` runs part 2 against the test stack of `MILLBOOK_TEST_SLOT`.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import random
import statistics
import sys
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
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
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

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
    parser.add_argument("--part", choices=("1", "2", "all"), default="all")
    parser.add_argument("--profile", choices=("dev", "test"), default="dev")
    parser.add_argument("--invoices", type=int, default=100_000)
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
    return 0


if __name__ == "__main__":
    sys.exit(main())
