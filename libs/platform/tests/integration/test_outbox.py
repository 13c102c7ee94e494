"""The outbox relay against real PostgreSQL and Kafka."""

import asyncio
import contextlib
import itertools
import time
import uuid

import psycopg
import pytest
from sqlalchemy import func, select

from millbook_contracts.envelope import Envelope
from millbook_platform.outbox import RELAY_LOCK_KEY, OutboxRelay, libpq_dsn, record_event
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


# ---- leadership survives the loss of the leader's connection

LOCK_HOLDER = """
    SELECT pid FROM pg_locks
    WHERE locktype = 'advisory' AND classid = 0 AND objid = %s AND objsubid = 1 AND granted
      AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
"""


async def lock_holder(platform_db) -> int | None:
    """The backend that holds the relay lock in this database, if any."""
    async with await psycopg.AsyncConnection.connect(libpq_dsn(platform_db.url)) as conn:
        row = await (await conn.execute(LOCK_HOLDER, (RELAY_LOCK_KEY,))).fetchone()
    return row[0] if row else None


async def terminate(platform_db, pid: int) -> None:
    async with await psycopg.AsyncConnection.connect(
        libpq_dsn(platform_db.url), autocommit=True
    ) as conn:
        await conn.execute("SELECT pg_terminate_backend(%s)", (pid,))


async def test_relay_leads_and_listens_again_after_its_connection_is_terminated(
    platform_db, infra, topic
):
    relay = make_relay(platform_db, infra, idle_poll_s=30.0)  # only NOTIFY wakes it in time
    async with running(relay):
        await record(platform_db.sessions, uuid.uuid4(), 0)
        await read_until(infra.kafka_bootstrap, topic, lambda rs: 0 in numbers(rs))
        leader = await eventually(lambda: lock_holder(platform_db), what="the relay's lock")
        lost_at = time.monotonic()
        await terminate(platform_db, leader)
        committed_meanwhile = await record(platform_db.sessions, uuid.uuid4(), 1)
        new_leader = await eventually(
            lambda: lock_holder(platform_db),
            lambda pid: pid not in (None, leader),
            within_s=5,
            what="the lock taken again",
        )
        await eventually(lambda: _async(relay.leading), within_s=5, what="the relay leading")
        recovered_s = time.monotonic() - lost_at
        await read_until(infra.kafka_bootstrap, topic, lambda rs: 1 in numbers(rs), timeout_s=5)
        started = time.monotonic()
        await record(platform_db.sessions, uuid.uuid4(), 2)
        await read_until(infra.kafka_bootstrap, topic, lambda rs: 2 in numbers(rs), timeout_s=5)
        latency_s = time.monotonic() - started
    print(
        f"\nrelay recovered in {recovered_s:.2f}s (backend {leader} -> {new_leader}); "
        f"commit -> Kafka after recovery {latency_s * 1000:.0f} ms"
    )
    assert committed_meanwhile is not None
    assert recovered_s < 5.0
    assert latency_s < 1.0  # NOTIFY, not the 30 s fallback poll


async def _async(value):
    return value


async def test_two_relays_never_publish_at_once_across_leader_terminations(
    platform_db, infra, topic
):
    """The leader's backend is terminated three times while events keep committing."""
    relays = {"a": make_relay(platform_db, infra), "b": make_relay(platform_db, infra)}
    sends: list[tuple[float, str]] = []  # (when, which relay) of every batch sent to Kafka
    for name, relay in relays.items():
        real_send_all = relay._send_all

        async def recorded(producer, rows, name=name, real=real_send_all):
            if rows:
                sends.append((time.monotonic(), name))
            return await real(producer, rows)

        relay._send_all = recorded  # type: ignore[method-assign]
    thing, stop, written = uuid.uuid4(), asyncio.Event(), []

    async def keep_committing() -> None:
        while not stop.is_set():
            await record(platform_db.sessions, uuid.uuid4(), len(written), thing=thing)
            written.append(len(written))
            await asyncio.sleep(0.01)

    async with running(relays["a"]), running(relays["b"]):
        writer = asyncio.create_task(keep_committing())
        terminated = []
        for _ in range(3):
            leader = await eventually(
                lambda: lock_holder(platform_db),
                lambda pid: pid is not None and pid not in terminated,
                what="a leader",
            )
            await eventually(lambda: _async(len(sends)), lambda n: n >= 5 * (len(terminated) + 1))
            terminated.append(leader)
            await terminate(platform_db, leader)
        await eventually(lambda: _async(len(written)), lambda n: n >= 50)
        stop.set()
        await writer
        records = await read_until(
            infra.kafka_bootstrap, topic, lambda rs: set(written) <= set(numbers(rs))
        )
        assert sum(relay.leading for relay in relays.values()) == 1
    first_seen = list(dict.fromkeys(numbers(records)))
    assert first_seen == written  # one aggregate, in order, nothing lost
    switches = sum(1 for (_, x), (_, y) in itertools.pairwise(sends) if x != y)
    print(
        f"\n{len(sends)} batches, {len(written)} events, publisher switched {switches} times "
        f"over {len(terminated)} terminations"
    )
    assert switches <= len(terminated)  # never both at once: at most one handover per loss
