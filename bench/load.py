"""Load benchmark: the mixed business flow through the gateway at rising rates, to the knee.

Run with the stack up (`make up`, then `make bench`, or `uv run python bench/load.py`;
`--profile test` drives the test stack of `MILLBOOK_TEST_SLOT`).

Requests arrive at a fixed rate (open loop: a slow answer does not slow the arrivals,
and each latency counts from the moment its request was due, so a queue in the client
shows as it would to users). The rate rises in steps (`--start` requests/s, then
`--step` more every `--seconds`) until a step's p99 passes `--aim-ms` (250 ms), its
errors pass 1%, or fewer than 90% of its requests were answered in time. The knee is the
last step within the aim: its rate, its throughput, p50/p99, and the CPU each process of
the stack used during it (from /proc, the supervisor's pids and their children, so
PostgreSQL's backends count), per request and as a share of one core.

The mix: 60% of requests move a business flow one step - a customer, a quotation that
is sent and accepted, an order taken through production, shipping and completion,
billing's invoice of the completed order (its own consumer makes it; the flow reads
until it is there), sent if billing made a draft, and a payment of it - and 40% are
reads (lists and gets of what the flows made, and the caller's own user).

The baseline, measured in the same run with the same client: the gateway's `/health`
(no credential, no database) and `GET /v1/users/me` (a credential, one service) at
their highest closed-loop rate. The machines are shared and noisy, so the knee is
printed as a ratio to both too.

Like bench/gateway.py it starts its own gateway on a free port in front of the running
services, with the demo organization's rate limit lifted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sys
import time
from collections import Counter, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table
from stack_processes import gateway_process, log_in, running  # beside this file

from millbook_stack.control import is_running
from millbook_stack.profiles import Profile, profile_named
from millbook_stack.status import read_status

console = Console(soft_wrap=True)
READ_SHARE = 0.4
DRAIN_S = 30.0
MAX_ERROR_RATE = 0.01
MIN_ANSWERED = 0.90
BASELINE_S = 5.0
BASELINE_CONCURRENCY = 8
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
QUOTED_LINES = [
    {"product_name": "Manifold block", "quantity": 4, "unit_price": "120.00", "tax_rate": "0.10"},
    {"product_name": "Deburring", "quantity": 1, "unit_price": "40.00"},
]


# -- CPU from /proc -----------------------------------------------------------------


def _stat(pid: int) -> tuple[int, float] | None:
    """(parent pid, CPU seconds) of a live process: its own user and system time and its
    exited children's (PostgreSQL's backends come and go with the services' pools)."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text.rsplit(")", 1)[1].split()
    return int(fields[1]), sum(int(n) for n in fields[11:15]) / CLOCK_TICKS


def process_tree_cpu(roots: dict[str, int]) -> dict[str, float]:
    """CPU seconds of each named process and its live descendants (PostgreSQL's backends
    are children of the postmaster; a service's workers of the service)."""
    parent_of: dict[int, int] = {}
    cpu_of: dict[int, float] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (stat := _stat(int(entry))) is not None:
            parent_of[int(entry)], cpu_of[int(entry)] = stat
    owner = {pid: name for name, pid in roots.items()}
    totals = dict.fromkeys(roots, 0.0)
    for pid, cpu in cpu_of.items():
        ancestor, hops = pid, 0
        while ancestor not in owner and ancestor in parent_of and hops < 32:
            ancestor, hops = parent_of[ancestor], hops + 1
        if ancestor in owner:
            totals[owner[ancestor]] += cpu
    return totals


def machine_busy() -> tuple[float, float]:
    """(busy, total) jiffies of the whole machine, from /proc/stat."""
    first = Path("/proc/stat").read_text().splitlines()[0]
    numbers = [int(n) for n in first.split()[1:]]
    idle = numbers[3] + numbers[4]
    return sum(numbers) - idle, sum(numbers)


def stack_processes(profile: Profile, gateway_pid: int) -> dict[str, int]:
    """The supervisor's processes, the bench's own gateway instead of the stack's, and
    this load generator."""
    status = read_status(profile.status_file)
    assert status is not None, f"no status file at {profile.status_file}"
    pids = {p.name: p.pid for p in status.processes if p.pid and p.name != "gateway"}
    return {**pids, "gateway (bench's)": gateway_pid, "load generator": os.getpid()}


# -- the flow -------------------------------------------------------------------------


@dataclass
class Journey:
    """One business flow, moved one request at a time."""

    step: int = 0
    customer: str = ""
    quotation: str = ""
    order: str = ""
    invoice: dict[str, Any] = field(default_factory=dict)


Step = Callable[["Flow", Journey], Awaitable[tuple[str, bool]]]


class Flow:
    """Sends one request of the mix each time `one()` is called."""

    def __init__(self, session: aiohttp.ClientSession, url: str) -> None:
        self.session, self.url = session, url
        self.idle: deque[Journey] = deque()
        self.seen: dict[str, deque[str]] = {
            k: deque(maxlen=200) for k in ("customer", "quotation", "order", "invoice")
        }
        self.completed = 0

    async def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        data = None if body is None else json.dumps(body)
        headers = {"Content-Type": "application/json"} if data else {}
        async with self.session.request(
            method, self.url + path, data=data, headers=headers
        ) as response:
            payload = await response.read()
            return response.status, json.loads(payload) if payload else None

    async def one(self) -> tuple[str, bool]:
        """(what was sent, whether it was answered as it should be)."""
        if random.random() < READ_SHARE and self.seen["customer"]:
            return await self.read()
        journey = self.idle.popleft() if self.idle else Journey()
        name, ok = await STEPS[journey.step](self, journey)
        if ok and journey.step < len(STEPS):
            self.idle.append(journey)
        elif ok:
            self.completed += 1
        return name, ok

    async def read(self) -> tuple[str, bool]:
        kind = random.choice(READS)
        if kind in self.seen:
            if not self.seen[kind]:
                kind = "/v1/users/me"  # nothing of that kind made yet
            else:
                path = f"/v1/{kind}s/{random.choice(self.seen[kind])}"
                status, _ = await self.call("GET", path)
                return f"GET /v1/{kind}s/{{id}}", status == 200
        status, _ = await self.call("GET", kind)
        return f"GET {kind}", status == 200


READS = ("customer", "quotation", "order", "invoice", "/v1/customers", "/v1/invoices",
         "/v1/orders?status=completed", "/v1/users/me")  # fmt: skip


async def made(flow: Flow, journey: Journey, method: str, path: str, body: Any = None) -> Any:
    """The answer's `data` if it succeeded, else None; the journey moves on if it did."""
    status, answer = await flow.call(method, path, body)
    if status in (200, 201):
        journey.step += 1
        return answer["data"]
    return None


async def new_customer(flow: Flow, j: Journey) -> tuple[str, bool]:
    data = await made(flow, j, "POST", "/v1/customers", {"name": f"Load {random.random():.9f}"})
    if data:
        j.customer = data["id"]
        flow.seen["customer"].append(j.customer)
    return "POST /v1/customers", data is not None


async def quote(flow: Flow, j: Journey) -> tuple[str, bool]:
    body = {"customer_id": j.customer, "line_items": QUOTED_LINES}
    data = await made(flow, j, "POST", "/v1/quotations", body)
    if data:
        j.quotation = data["id"]
        flow.seen["quotation"].append(j.quotation)
    return "POST /v1/quotations", data is not None


def quotation_step(verb: str) -> Step:
    async def step(flow: Flow, j: Journey) -> tuple[str, bool]:
        data = await made(flow, j, "POST", f"/v1/quotations/{j.quotation}/{verb}")
        return f"POST /v1/quotations/{{id}}/{verb}", data is not None

    return step


async def order(flow: Flow, j: Journey) -> tuple[str, bool]:
    data = await made(flow, j, "POST", "/v1/orders", {"quotation_id": j.quotation})
    if data:
        j.order = data["id"]
        flow.seen["order"].append(j.order)
    return "POST /v1/orders", data is not None


def order_step(verb: str) -> Step:
    async def step(flow: Flow, j: Journey) -> tuple[str, bool]:
        data = await made(flow, j, "POST", f"/v1/orders/{j.order}/{verb}")
        return f"POST /v1/orders/{{id}}/{verb}", data is not None

    return step


async def find_invoice(flow: Flow, j: Journey) -> tuple[str, bool]:
    """Billing invoices a completed order from its event; until then the read finds none
    and the journey waits (it is picked again later)."""
    status, answer = await flow.call("GET", f"/v1/invoices?customer_id={j.customer}")
    if status == 200 and answer["data"]:
        j.invoice = answer["data"][0]
        j.step += 1
        flow.seen["invoice"].append(j.invoice["id"])
    return "GET /v1/invoices?customer_id=", status == 200


async def issue(flow: Flow, j: Journey) -> tuple[str, bool]:
    if j.invoice["status"] != "draft":
        j.step += 1
        return await pay(flow, j)
    data = await made(flow, j, "POST", f"/v1/invoices/{j.invoice['id']}/send")
    return "POST /v1/invoices/{id}/send", data is not None


async def pay(flow: Flow, j: Journey) -> tuple[str, bool]:
    amount = j.invoice["total_amount"]
    body = {
        "payment_type": "receipt",
        "customer_id": j.customer,
        "amount": amount,
        "allocations": [{"invoice_id": j.invoice["id"], "amount": amount}],
    }
    data = await made(flow, j, "POST", "/v1/payments", body)
    return "POST /v1/payments", data is not None


STEPS: list[Step] = [
    new_customer,
    quote,
    quotation_step("send"),
    quotation_step("accept"),
    order,
    order_step("start-production"),
    order_step("ship"),
    order_step("complete"),
    find_invoice,
    issue,
    pay,
]


# -- load -------------------------------------------------------------------------------


@dataclass
class Measured:
    rate: float  # requests/s asked for
    seconds: float  # from the first arrival to the last answer
    latencies_ms: list[float] = field(default_factory=list)
    by_request: dict[str, list[float]] = field(default_factory=dict)
    errors: Counter[str] = field(default_factory=Counter)
    unanswered: int = 0
    sent: int = 0
    cpu_s: dict[str, float] = field(default_factory=dict)
    machine_busy: float = 0.0  # share of all the machine's cores busy, any process's
    flows_completed: int = 0

    @property
    def throughput(self) -> float:
        return len(self.latencies_ms) / self.seconds if self.seconds else 0.0

    def quantile(self, q: float, values: list[float] | None = None) -> float:
        ordered = sorted(self.latencies_ms if values is None else values)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0

    @property
    def error_rate(self) -> float:
        return sum(self.errors.values()) / self.sent if self.sent else 0.0


async def step_at(
    flow: Flow, rate: float, seconds: float, pids: dict[str, int], progress: Progress
) -> Measured:
    """`rate` requests a second for `seconds`, each timed from when it was due."""
    measured = Measured(rate, 0.0)
    total = round(rate * seconds)
    task = progress.add_task(f"{rate:>6.1f} requests/s", total=total)
    loop = asyncio.get_running_loop()
    cpu_before, busy_before = process_tree_cpu(pids), machine_busy()
    completed_before = flow.completed
    began = loop.time()

    async def send(due: float) -> None:
        try:
            name, ok = await flow.one()
        except (aiohttp.ClientError, TimeoutError) as error:
            name, ok = type(error).__name__, False
        elapsed_ms = (loop.time() - due) * 1000
        progress.advance(task)
        if not ok:
            measured.errors[name] += 1
            return
        measured.latencies_ms.append(elapsed_ms)
        measured.by_request.setdefault(name, []).append(elapsed_ms)

    sent: list[asyncio.Task[None]] = []
    for n in range(total):
        due = began + n / rate
        if (wait := due - loop.time()) > 0:
            await asyncio.sleep(wait)
        sent.append(asyncio.create_task(send(due)))
    _, late = await asyncio.wait(sent, timeout=DRAIN_S)
    for task_left in late:
        task_left.cancel()
    measured.sent, measured.unanswered = total, len(late)
    measured.seconds = loop.time() - began
    cpu_after, busy_after = process_tree_cpu(pids), machine_busy()
    measured.cpu_s = {name: cpu_after[name] - cpu_before[name] for name in pids}
    measured.machine_busy = (busy_after[0] - busy_before[0]) / max(
        busy_after[1] - busy_before[1], 1
    )
    measured.flows_completed = flow.completed - completed_before
    progress.update(
        task, description=f"{rate:>6.1f} requests/s  p99 {measured.quantile(0.99):.0f} ms"
    )
    return measured


def within_aim(measured: Measured, aim_ms: float) -> bool:
    answered = len(measured.latencies_ms) / measured.sent if measured.sent else 0.0
    return (
        measured.quantile(0.99) <= aim_ms
        and measured.error_rate <= MAX_ERROR_RATE
        and answered >= MIN_ANSWERED
    )


async def closed_loop_rate(
    session: aiohttp.ClientSession, url: str, concurrency: int, seconds: float
) -> float:
    """Answers/s of `url` with `concurrency` callers back to back."""
    answered = 0
    stop_at = time.perf_counter() + seconds

    async def caller() -> None:
        nonlocal answered
        while time.perf_counter() < stop_at:
            async with session.get(url) as response:
                await response.read()
                answered += response.status == 200

    began = time.perf_counter()
    await asyncio.gather(*(caller() for _ in range(concurrency)))
    return answered / (time.perf_counter() - began)


async def warm_up(flow: Flow, journeys: int) -> None:
    """A few whole flows, one request at a time: pools, caches, and proof the flow works."""
    for _ in range(journeys):
        flow.idle.append(Journey())
    deadline = time.perf_counter() + 120
    while flow.idle and time.perf_counter() < deadline:
        journey = flow.idle.popleft()
        name, ok = await STEPS[journey.step](flow, journey)
        if not ok:
            raise RuntimeError(f"the flow failed at {name} during the warm-up")
        if journey.step < len(STEPS):
            flow.idle.append(journey)
            await asyncio.sleep(0.05 if journey.step == STEPS.index(find_invoice) else 0)
    if flow.idle:
        raise RuntimeError("billing did not invoice the warm-up's orders within 120 s")


@dataclass(frozen=True)
class Plan:
    start: float
    step: float
    seconds: float
    aim_ms: float
    max_rate: float


async def ramp(url: str, token: str, plan: Plan, pids: dict[str, int]) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    connector = aiohttp.TCPConnector(limit=0)
    timeout = aiohttp.ClientTimeout(total=DRAIN_S + 30)
    async with aiohttp.ClientSession(connector=connector, headers=headers, timeout=timeout) as s:
        flow = Flow(s, url)
        console.print("warm-up: 3 whole flows ...")
        await warm_up(flow, 3)
        console.print(f"baseline: {BASELINE_S:.0f} s each of GET /health and GET /v1/users/me ...")
        health = await closed_loop_rate(s, f"{url}/health", BASELINE_CONCURRENCY, BASELINE_S)
        me = await closed_loop_rate(s, f"{url}/v1/users/me", BASELINE_CONCURRENCY, BASELINE_S)
        steps: list[Measured] = []
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
        with Progress(*columns, console=console) as progress:
            rate = plan.start
            while rate <= plan.max_rate:
                steps.append(await step_at(flow, rate, plan.seconds, pids, progress))
                if not within_aim(steps[-1], plan.aim_ms):
                    break
                rate += plan.step
    report(steps, plan, health, me)


# -- the report ---------------------------------------------------------------------------


def report(steps: list[Measured], plan: Plan, health: float, me: float) -> None:
    table = Table(title=f"the mixed flow through the gateway, {plan.seconds:.0f} s a step")
    for column in (
        "asked/s",
        "answered/s",
        "p50 ms",
        "p99 ms",
        "errors",
        "late",
        "flows",
        "machine busy",
    ):
        table.add_column(column, justify="right")
    for m in steps:
        table.add_row(
            f"{m.rate:.1f}", f"{m.throughput:.1f}", f"{m.quantile(0.5):.0f}",
            f"{m.quantile(0.99):.0f}", str(sum(m.errors.values())), str(m.unanswered),
            str(m.flows_completed), f"{m.machine_busy:.0%}",
        )  # fmt: skip
    console.print(table)
    console.print(
        f"baseline: GET /health {health:,.0f}/s, GET /v1/users/me {me:,.0f}/s "
        f"({BASELINE_CONCURRENCY} callers back to back)"
    )
    knee = next((m for m in reversed(steps) if within_aim(m, plan.aim_ms)), None)
    last = steps[-1]
    if knee is last:
        console.print(f"[yellow]every step up to {last.rate:.0f}/s stayed within the aim.")
    else:
        console.print(
            f"beyond the knee: {last.rate:.1f}/s asked, p99 {last.quantile(0.99):.0f} ms, "
            f"errors {dict(last.errors)}, {last.unanswered} unanswered in {DRAIN_S:.0f} s"
        )
    if knee is None:
        console.print(f"[red]no step stayed within p99 <= {plan.aim_ms:.0f} ms: lower --start.")
        return
    console.print(
        f"[bold]knee: {knee.rate:.1f} requests/s asked, {knee.throughput:.1f}/s answered, "
        f"p50 {knee.quantile(0.5):.0f} ms, p99 {knee.quantile(0.99):.0f} ms "
        f"(aim p99 <= {plan.aim_ms:.0f} ms); {knee.flows_completed / knee.seconds:.2f} whole "
        f"flows/s; {knee.throughput / health:.3f} x the gateway's /health rate, "
        f"{knee.throughput / me:.3f} x its GET /v1/users/me rate"
    )
    report_requests(knee)
    report_cpu(knee)


def report_requests(knee: Measured) -> None:
    table = Table(title="at the knee, by request")
    for column in ("request", "count", "p50 ms", "p99 ms"):
        table.add_column(column, justify="left" if column == "request" else "right")
    for name, values in sorted(knee.by_request.items(), key=lambda kv: -len(kv[1])):
        table.add_row(
            name, str(len(values)), f"{knee.quantile(0.5, values):.0f}",
            f"{knee.quantile(0.99, values):.0f}",
        )  # fmt: skip
    console.print(table)


def report_cpu(knee: Measured) -> None:
    answered = max(len(knee.latencies_ms), 1)
    table = Table(title="CPU at the knee (the process and its children, from /proc)")
    for column in ("process", "cores", "ms per request", "share"):
        table.add_column(column, justify="left" if column == "process" else "right")
    total = sum(knee.cpu_s.values()) or 1.0
    for name, cpu in sorted(knee.cpu_s.items(), key=lambda kv: -kv[1]):
        table.add_row(
            name, f"{cpu / knee.seconds:.2f}", f"{1000 * cpu / answered:.1f}", f"{cpu / total:.0%}"
        )
    table.add_row(
        "all of them", f"{total / knee.seconds:.2f}", f"{1000 * total / answered:.1f}", "100%"
    )
    console.print(table)
    console.print(
        f"the machine ({os.cpu_count()} cores) was {knee.machine_busy:.0%} busy during the "
        f"knee's step, the stack and this client {total / knee.seconds / (os.cpu_count() or 1):.0%}"
        " of it: the rest is other processes'"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", choices=("dev", "test"), default="dev")
    parser.add_argument("--start", type=float, default=5.0, help="requests/s of the first step")
    parser.add_argument("--step", type=float, default=5.0, help="requests/s added each step")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of a step")
    parser.add_argument("--aim-ms", type=float, default=250.0, help="p99 a step must keep")
    parser.add_argument("--max-rate", type=float, default=1000.0)
    args = parser.parse_args()
    profile = profile_named(args.profile)
    if not is_running(profile):
        console.print("[red]The stack is not running: run `make up` first, then `make bench`.")
        return 1
    token, organization = log_in(profile)
    command, env = gateway_process(profile, organization)
    url = f"http://127.0.0.1:{command[command.index('--port') + 1]}"
    plan = Plan(args.start, args.step, args.seconds, args.aim_ms, args.max_rate)
    with running(command, env, url, "/health/live") as (gateway_url, gateway_pid):
        asyncio.run(ramp(gateway_url, token, plan, stack_processes(profile, gateway_pid)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
