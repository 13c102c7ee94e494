"""Outbox relay benchmark: sustained publish rate and commit-to-publish latency.

Run with the stack up (`make up`, then `make bench`). Every number is printed beside
a baseline measured in the same run on the same machine — the raw aiokafka produce
rate with the relay's own producer settings — because the machines are shared and
noisy and only ratios compare across runs.

Aims (issue 2): relay >= 50% of raw produce throughput; p99 commit-to-publish
<= 50 ms at 500 events/s offered.
"""

from __future__ import annotations

import asyncio
import contextlib
import statistics
import sys
import time
import uuid

from aiokafka import AIOKafkaConsumer
from rich.console import Console
from rich.progress import Progress
from sqlalchemy import text

from millbook_contracts.events import Event
from millbook_platform.db import Base, create_engine, session_factory
from millbook_platform.kafka import reliable_producer
from millbook_platform.outbox import OutboxRelay, record_event
from millbook_platform.tables import OUTBOX_NOTIFY_SQL
from millbook_stack import api
from millbook_stack.control import is_running
from millbook_testing.kafka import create_topics
from millbook_testing.waiting import eventually

THROUGHPUT_EVENTS = 20_000
ROUNDS = 3
OFFERED_RATE = 500
LATENCY_SECONDS = 10
console = Console(soft_wrap=True)


class BenchEvent(Event):
    event_type = "bench.thing.happened"
    thing_id: uuid.UUID
    n: int
    note: str = "x" * 200  # about the size of a real event payload

    def subject(self) -> str:
        return str(self.thing_id)


async def raw_produce_rate(bootstrap: str, topic: str, count: int) -> float:
    producer = reliable_producer(bootstrap, client_id="bench-raw")
    await producer.start()
    payload = BenchEvent(thing_id=uuid.uuid4(), n=0).model_dump_json().encode()
    headers = [("ce_specversion", b"1.0"), ("ce_id", b"x" * 36), ("ce_type", b"bench")]
    try:
        started = time.perf_counter()
        futures = [
            await producer.send(topic, payload, key=str(uuid.uuid4()).encode(), headers=headers)
            for _ in range(count)
        ]
        await asyncio.gather(*futures)
        return count / (time.perf_counter() - started)
    finally:
        await producer.stop()


async def relay_drain_rate(engine, url: str, bootstrap: str, count: int) -> float:
    """Events per second the relay's publishing loop moves from committed rows to Kafka."""
    sessions = session_factory(engine)
    async with sessions() as session, session.begin():
        for n in range(count):
            event = BenchEvent(thing_id=uuid.uuid4(), n=n)
            record_event(session, event, tenant_id=uuid.uuid4(), source="/millbook/bench")
    relay = OutboxRelay(engine, database_url=url, bootstrap_servers=bootstrap, service_name="bench")
    producer = reliable_producer(bootstrap, client_id="bench-relay")
    await producer.start()
    try:
        started = time.perf_counter()
        published = await relay.drain(producer)
        elapsed = time.perf_counter() - started
    finally:
        await producer.stop()
    assert published == count, f"published {published} of {count}"
    return count / elapsed


async def receive_times(bootstrap: str, topic: str, seen: dict[uuid.UUID, float]) -> None:
    """Record when each event becomes readable in Kafka, by its ce_id."""
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", fetch_max_wait_ms=5
    )
    await consumer.start()
    try:
        while True:
            batches = await consumer.getmany(timeout_ms=100)
            now = time.time()
            for records in batches.values():
                for record in records:
                    seen[uuid.UUID(dict(record.headers)["ce_id"].decode())] = now
    finally:
        await consumer.stop()


async def commit_to_publish_latency(engine, url: str, bootstrap: str, topic: str) -> list[float]:
    """Milliseconds from each commit returning to the event being readable in Kafka.

    Measured at a consumer, so it is an upper bound of commit-to-publish.
    """
    sessions = session_factory(engine)
    relay = OutboxRelay(engine, database_url=url, bootstrap_servers=bootstrap, service_name="bench")
    committed: dict[uuid.UUID, float] = {}
    received: dict[uuid.UUID, float] = {}
    tasks = [
        asyncio.create_task(relay.run()),
        asyncio.create_task(receive_times(bootstrap, topic, received)),
    ]
    interval = 1.0 / OFFERED_RATE
    total = LATENCY_SECONDS * OFFERED_RATE
    try:
        await asyncio.sleep(1.0)  # let the relay and the reader connect before the clock starts
        received.clear()
        next_at = time.perf_counter()
        with Progress(console=console, transient=True) as progress:
            job = progress.add_task(f"offering {OFFERED_RATE} events/s", total=total)
            for n in range(total):
                async with sessions() as session, session.begin():
                    event = BenchEvent(thing_id=uuid.uuid4(), n=n)
                    event_id = record_event(
                        session, event, tenant_id=uuid.uuid4(), source="/millbook/bench"
                    )
                committed[event_id] = time.time()
                progress.advance(job)
                next_at += interval
                await asyncio.sleep(max(0.0, next_at - time.perf_counter()))
        await eventually(
            lambda: _count(received, committed),
            lambda n: n == total,
            within_s=120,
            what="every offered event read back",
        )
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
    return [(received[event_id] - at) * 1000 for event_id, at in committed.items()]


async def _count(received: dict[uuid.UUID, float], committed: dict[uuid.UUID, float]) -> int:
    return sum(1 for event_id in committed if event_id in received)


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


async def fresh_database(profile) -> str:
    url = api.create_scratch_database(
        profile, f"bench_outbox_{uuid.uuid4().hex[:6]}", owner="bench"
    )
    engine = create_engine(url)
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
        for statement in OUTBOX_NOTIFY_SQL:
            await conn.execute(text(statement))
    await engine.dispose()
    return url


async def main() -> int:
    profile = api.dev_profile()
    if not is_running(profile):
        console.print("[red]The stack is not running: run `make up` first, then `make bench`.")
        return 1
    bootstrap = api.kafka_bootstrap(profile)
    raw_topic, relay_topic = (
        f"bench.raw{uuid.uuid4().hex[:6]}",
        f"bench.relay{uuid.uuid4().hex[:6]}",
    )
    await create_topics(bootstrap, raw_topic, relay_topic, partitions=3)
    BenchEvent.topic = classmethod(lambda cls: relay_topic)  # type: ignore[method-assign]

    raws, relays = [], []
    url = await fresh_database(profile)
    engine = create_engine(url, pool_size=4)
    try:
        # Interleaved rounds, best of each: a noisy neighbour slows a round, never speeds it.
        for round_ in range(1, ROUNDS + 1):
            with console.status(f"round {round_}/{ROUNDS}: raw aiokafka produce (baseline)"):
                raws.append(await raw_produce_rate(bootstrap, raw_topic, THROUGHPUT_EVENTS))
            with console.status(f"round {round_}/{ROUNDS}: relay draining {THROUGHPUT_EVENTS}"):
                relays.append(await relay_drain_rate(engine, url, bootstrap, THROUGHPUT_EVENTS))
        latencies = await commit_to_publish_latency(engine, url, bootstrap, relay_topic)
    finally:
        await engine.dispose()

    p50, p99 = percentile(latencies, 50), percentile(latencies, 99)
    raw, relay = max(raws), max(relays)
    ratio = relay / raw
    console.print(
        f"outbox: raw aiokafka produce {raw:,.0f} msg/s, best of {ROUNDS} "
        f"({', '.join(f'{r:,.0f}' for r in raws)}) — the baseline, same run"
    )
    console.print(
        f"outbox: relay publish {relay:,.0f} msg/s, best of {ROUNDS} "
        f"({', '.join(f'{r:,.0f}' for r in relays)}) = {ratio:.2f} x raw "
        f"(aim >= 0.50) {'OK' if ratio >= 0.5 else 'BELOW AIM'}"
    )
    console.print(
        f"outbox: commit to readable in Kafka at {OFFERED_RATE}/s, {len(latencies)} events: "
        f"p50 {p50:.1f} ms, p99 {p99:.1f} ms (aim p99 <= 50 ms) "
        f"{'OK' if p99 <= 50 else 'ABOVE AIM'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
