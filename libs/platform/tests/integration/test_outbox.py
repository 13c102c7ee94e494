"""The outbox relay against real PostgreSQL and Kafka."""

import asyncio
import contextlib
import time
import uuid

import pytest
from sqlalchemy import func, select

from millbook_contracts.envelope import Envelope
from millbook_platform.outbox import OutboxRelay, record_event
from millbook_platform.tables import OutboxRow
from millbook_testing.kafka import create_topics, read_until
from millbook_testing.waiting import eventually

from .conftest import ThingHappened

SOURCE = "/millbook/test"


@pytest.fixture
async def topic(infra, monkeypatch) -> str:
    # Route ThingHappened to a topic of its own for this test.
    name = f"test.thing{uuid.uuid4().hex[:8]}"
    await create_topics(infra.kafka_bootstrap, name, partitions=3)
    monkeypatch.setattr(ThingHappened, "topic", classmethod(lambda cls: name))
    return name


def make_relay(platform_db, infra, **kwargs) -> OutboxRelay:
    return OutboxRelay(
        platform_db.engine,
        database_url=platform_db.url,
        bootstrap_servers=infra.kafka_bootstrap,
        service_name="test",
        **kwargs,
    )


@contextlib.asynccontextmanager
async def running(relay: OutboxRelay):
    task = asyncio.create_task(relay.run())
    try:
        yield relay
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def record(sessions, tenant, n, thing=None) -> uuid.UUID:
    async with sessions() as session, session.begin():
        return record_event(
            session,
            ThingHappened(thing_id=thing or uuid.uuid4(), n=n),
            tenant_id=tenant,
            source=SOURCE,
        )


def numbers(records) -> list[int]:
    return [ThingHappened.model_validate_json(r.value).n for r in records]


async def test_committed_event_reaches_kafka_as_a_cloudevent(platform_db, infra, topic):
    tenant = uuid.uuid4()
    event_id = await record(platform_db.sessions, tenant, 1)
    async with running(make_relay(platform_db, infra)):
        records = await read_until(infra.kafka_bootstrap, topic, lambda rs: len(rs) >= 1)
    envelope = Envelope.from_kafka(records[0].headers, records[0].value)
    assert envelope.id == event_id
    assert envelope.tenant_id == tenant
    assert envelope.type == "test.thing.happened"
    assert envelope.source == SOURCE
    assert records[0].key == envelope.subject.encode()


async def test_rolled_back_transaction_publishes_nothing(platform_db, infra, topic):
    async def fail_after_recording() -> None:
        async with platform_db.sessions() as session, session.begin():
            event = ThingHappened(thing_id=uuid.uuid4(), n=0)
            record_event(session, event, tenant_id=uuid.uuid4(), source=SOURCE)
            raise RuntimeError("the business step failed")

    with pytest.raises(RuntimeError):
        await fail_after_recording()
    await record(platform_db.sessions, uuid.uuid4(), 1)
    async with running(make_relay(platform_db, infra)):
        records = await read_until(infra.kafka_bootstrap, topic, lambda rs: len(rs) >= 1)
    assert numbers(records) == [1]


async def test_transactions_that_commit_out_of_id_order_are_not_skipped(platform_db, infra, topic):
    """A long transaction takes the lower id and commits after a short one."""
    tenant = uuid.uuid4()
    relay = make_relay(platform_db, infra, idle_poll_s=0.05)
    async with running(relay):
        long_tx = platform_db.sessions()
        await long_tx.begin()
        record_event(
            long_tx, ThingHappened(thing_id=uuid.uuid4(), n=10), tenant_id=tenant, source=SOURCE
        )
        await long_tx.flush()  # takes the lower id now
        await record(platform_db.sessions, tenant, 11)
        await read_until(infra.kafka_bootstrap, topic, lambda rs: 11 in numbers(rs))
        await long_tx.commit()
        await long_tx.close()
        records = await read_until(
            infra.kafka_bootstrap, topic, lambda rs: {10, 11} <= set(numbers(rs))
        )
    assert sorted(numbers(records)) == [10, 11]


async def test_one_aggregates_events_arrive_in_order(platform_db, infra, topic):
    tenant, thing = uuid.uuid4(), uuid.uuid4()
    for n in range(50):
        await record(platform_db.sessions, tenant, n, thing=thing)
    async with running(make_relay(platform_db, infra, batch_size=7)):
        records = await read_until(infra.kafka_bootstrap, topic, lambda rs: len(rs) >= 50)
    assert numbers(records) == list(range(50))
    assert len({r.partition for r in records}) == 1


async def test_relay_wakes_on_commit_not_on_a_slow_poll(platform_db, infra, topic):
    relay = make_relay(platform_db, infra, idle_poll_s=30.0)
    async with running(relay):
        await record(platform_db.sessions, uuid.uuid4(), 0)  # warm up: producer connected
        await read_until(infra.kafka_bootstrap, topic, lambda rs: len(rs) >= 1)
        started = time.monotonic()
        await record(platform_db.sessions, uuid.uuid4(), 1)
        await read_until(infra.kafka_bootstrap, topic, lambda rs: 1 in numbers(rs))
    assert time.monotonic() - started < 5.0  # far below the 30 s poll


async def test_published_rows_leave_the_outbox(platform_db, infra, topic):
    for n in range(5):
        await record(platform_db.sessions, uuid.uuid4(), n)
    relay = make_relay(platform_db, infra)
    assert await relay.backlog() == 5
    async with running(relay):
        await read_until(infra.kafka_bootstrap, topic, lambda rs: len(rs) >= 5)
        await eventually(relay.backlog, lambda n: n == 0, what="empty backlog")
    async with platform_db.sessions() as session:
        left = await session.scalar(select(func.count()).select_from(OutboxRow))
    assert left == 0


async def test_only_one_relay_leads_per_database(platform_db, infra, topic):
    for n in range(20):
        await record(platform_db.sessions, uuid.uuid4(), n)
    async with running(make_relay(platform_db, infra)), running(make_relay(platform_db, infra)):
        records = await read_until(infra.kafka_bootstrap, topic, lambda rs: len(rs) >= 20)
        await asyncio.sleep(0.5)  # give a second, wrongly-leading relay time to duplicate
        records = await read_until(infra.kafka_bootstrap, topic, lambda rs: len(rs) >= 20)
    assert sorted(numbers(records)) == list(range(20))


async def test_events_carry_the_actor_and_request_id_of_the_request(platform_db, infra, topic):
    from millbook_platform.requestctx import actor_var, request_id_var

    actor, rid = actor_var.set("user:7"), request_id_var.set("req_abc")
    try:
        await record(platform_db.sessions, uuid.uuid4(), 1)
    finally:
        actor_var.reset(actor)
        request_id_var.reset(rid)
    async with running(make_relay(platform_db, infra)):
        records = await read_until(infra.kafka_bootstrap, topic, lambda rs: len(rs) >= 1)
    envelope = Envelope.from_kafka(records[0].headers, records[0].value)
    assert (envelope.actor, envelope.request_id) == ("user:7", "req_abc")
