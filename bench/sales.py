"""Sales benchmark: quotations of 10 lines created through the gateway, and their events.

Run with the stack up (`make up`, then `make bench`, or `uv run python bench/sales.py`).
At a fixed concurrency for a fixed time, as the demo admin:

- `POST /v1/quotations` with 10 lines through a gateway: requests/s, p50/p99;
- the rate at which their `sales.quotation.created` events reach Kafka, and the
  time from each 201 to its event being readable there (outbox, relay, broker);
- the baseline, measured in the same run: the gateway's bare authenticated GET
  (`/v1/users/me`) at the same concurrency, with the same client. The machines are
  shared and noisy, so only the ratio compares across runs.

Like bench/gateway.py, it starts its own gateway on a free port with the demo
organization's rate limit lifted, in front of the running services.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import statistics
import sys
import time
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiokafka import AIOKafkaConsumer
from rich.console import Console
from rich.table import Table
from stack_processes import gateway_process, log_in, running  # beside this file

from millbook_stack import api
from millbook_stack.control import is_running

console = Console(soft_wrap=True)
QUOTATION_TOPIC = "sales.quotation"
CREATED = b"sales.quotation.created"
EVENTS_WAIT_S = 30.0


@dataclass
class Load:
    name: str
    seconds: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)
    errors: int = 0
    finished_at: dict[str, float] = field(default_factory=dict)  # quotation id -> 201 time

    @property
    def rps(self) -> float:
        return len(self.latencies_ms) / self.seconds if self.seconds else 0.0

    def quantile(self, q: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


def ten_lines() -> list[dict[str, Any]]:
    return [
        {
            "product_name": f"Part {n}",
            "description": "6061-T6 aluminium, anodised",
            "quantity": n + 1,
            "unit_price": f"{12.5 + n:.2f}",
            "discount_percent": "5",
            "tax_rate": "0.08",
            "estimated_hours": "1.5",
            "material_cost": "4.20",
        }
        for n in range(10)
    ]


async def drive(
    name: str,
    concurrency: int,
    seconds: int,
    send: Any,
) -> Load:
    """`concurrency` workers calling `send(session)` back to back for `seconds`."""
    load = Load(name)
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:
        stop_at = time.perf_counter() + seconds

        async def worker() -> None:
            while (started := time.perf_counter()) < stop_at:
                try:
                    ok, key = await send(session)
                except aiohttp.ClientError:
                    ok, key = False, None
                ended = time.perf_counter()
                if not ok:
                    load.errors += 1
                    continue
                load.latencies_ms.append((ended - started) * 1000)
                if key:
                    load.finished_at[key] = time.time()

        began = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        load.seconds = time.perf_counter() - began
    return load


@dataclass
class Arrivals:
    """When each quotation's created event became readable in Kafka."""

    seen: dict[str, float] = field(default_factory=dict)
    expected: set[str] = field(default_factory=set)
    complete: asyncio.Event = field(default_factory=asyncio.Event)


async def watch_events(bootstrap: str, arrivals: Arrivals) -> None:
    """Reads the topic from its end until every expected event has arrived."""
    consumer = AIOKafkaConsumer(
        QUOTATION_TOPIC,
        bootstrap_servers=bootstrap,
        group_id=None,
        auto_offset_reset="latest",
        isolation_level="read_committed",
    )
    await consumer.start()
    try:
        await consumer.seek_to_end()
        while not arrivals.complete.is_set():
            batches = await consumer.getmany(timeout_ms=200)
            now = time.time()
            for records in batches.values():
                for record in records:
                    if dict(record.headers).get("ce_type") == CREATED and record.key:
                        arrivals.seen.setdefault(record.key.decode(), now)
            if arrivals.expected and arrivals.expected <= arrivals.seen.keys():
                arrivals.complete.set()
    finally:
        await consumer.stop()


async def measure(url: str, token: str, concurrency: int, seconds: int, bootstrap: str) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    async with (
        aiohttp.ClientSession(headers=headers) as session,
        session.post(f"{url}/v1/customers", json={"name": "Bench Tooling"}) as r,
    ):
        customer = (await r.json())["data"]["id"]

    async def bare_get(session: aiohttp.ClientSession) -> tuple[bool, None]:
        async with session.get(f"{url}/v1/users/me", headers=headers) as response:
            await response.read()
            return response.status == 200, None

    body = json.dumps({"customer_id": customer, "line_items": ten_lines()})
    post_headers = {**headers, "Content-Type": "application/json"}

    async def create(session: aiohttp.ClientSession) -> tuple[bool, str | None]:
        async with session.post(
            f"{url}/v1/quotations", data=body, headers=post_headers
        ) as response:
            data = await response.json()
            return response.status == 201, data.get("data", {}).get("id")

    await drive("warm-up", concurrency, 2, create)
    console.print(f"baseline: GET /v1/users/me through the gateway for {seconds} s ...")
    baseline = await drive("GET /v1/users/me", concurrency, seconds, bare_get)

    arrivals = Arrivals()
    watcher = asyncio.create_task(watch_events(bootstrap, arrivals))
    await asyncio.sleep(1.0)  # the watcher is at the end of the topic
    console.print(f"POST /v1/quotations (10 lines) through the gateway for {seconds} s ...")
    quotations = await drive("POST /v1/quotations", concurrency, seconds, create)
    arrivals.expected = set(quotations.finished_at)
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(arrivals.complete.wait(), EVENTS_WAIT_S)
    arrivals.complete.set()
    await watcher
    report(baseline, quotations, arrivals.seen, concurrency, seconds)


def report(
    baseline: Load, quotations: Load, seen: dict[str, float], concurrency: int, seconds: int
) -> None:
    table = Table(title=f"sales through the gateway, {concurrency} connections, {seconds} s each")
    for column in ("request", "requests/s", "p50 ms", "p99 ms", "requests", "errors"):
        table.add_column(column, justify="left" if column == "request" else "right")
    for load in (baseline, quotations):
        table.add_row(
            load.name, f"{load.rps:,.1f}", f"{load.quantile(0.5):.1f}",
            f"{load.quantile(0.99):.1f}", f"{len(load.latencies_ms):,}", str(load.errors),
        )  # fmt: skip
    console.print(table)
    created = quotations.finished_at
    arrived = [seen[q] - at for q, at in created.items() if q in seen]
    console.print(
        f"quotations: {quotations.rps / baseline.rps:.2f} x the gateway's bare GET rate "
        f"({quotations.rps:,.1f} vs {baseline.rps:,.1f} requests/s)"
    )
    if arrived:
        arrived_ms = sorted(1000 * max(a, 0.0) for a in arrived)
        console.print(
            f"events: {len(arrived):,} of {len(created):,} created events reached Kafka "
            f"({len(arrived) / quotations.seconds:,.1f}/s during the run); 201 -> readable in "
            f"Kafka p50 {statistics.median(arrived_ms):.0f} ms, "
            f"p99 {arrived_ms[min(len(arrived_ms) - 1, int(0.99 * len(arrived_ms)))]:.0f} ms"
        )
    missing = len(created) - len(arrived)
    if missing or quotations.errors or baseline.errors:
        console.print(f"[red]{missing} events missing, {quotations.errors} failed requests.")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--seconds", type=int, default=30)
    args = parser.parse_args()

    profile = api.dev_profile()
    if not is_running(profile):
        console.print("[red]The stack is not running: run `make up` first, then `make bench`.")
        return 1
    token, organization = log_in(profile)
    command, env = gateway_process(profile, organization)
    url = f"http://127.0.0.1:{command[command.index('--port') + 1]}"
    with running(command, env, url, "/health/live") as (gateway_url, _):
        asyncio.run(
            measure(
                gateway_url,
                token,
                args.concurrency,
                args.seconds,
                api.kafka_bootstrap(profile),
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
