"""The consumer against real PostgreSQL and Kafka: once-only effects, retries, DLQ."""

import asyncio
import contextlib
import uuid

import pytest
from aiokafka.consumer.group_coordinator import GroupCoordinator
from sqlalchemy import text

from millbook_contracts.envelope import Envelope
from millbook_platform.consumer import EventConsumer, RetryPolicy, subscriptions
from millbook_testing.kafka import create_topics, produce, read_until
from millbook_testing.waiting import eventually

from .conftest import ThingHappened


@pytest.fixture
async def topic(infra) -> str:
    name = f"test.consumed{uuid.uuid4().hex[:8]}"
    await create_topics(infra.kafka_bootstrap, name, name + ".dlq")
    return name


@pytest.fixture
async def effects(platform_db):
    async with platform_db.engine.begin() as conn:
        await conn.execute(text("CREATE TABLE effects (event_id uuid, n int, tenant text)"))
    return platform_db


def envelope_for(event: ThingHappened, tenant: uuid.UUID, event_id: uuid.UUID | None = None):
    return event.envelope(tenant_id=tenant, source="/millbook/test", event_id=event_id)


async def send(infra, topic, envelope: Envelope) -> None:
    await produce(
        infra.kafka_bootstrap,
        topic,
        envelope.data,
        key=envelope.subject.encode(),
        headers=envelope.to_headers(),
    )


async def record_effect(session, event: ThingHappened, envelope: Envelope) -> None:
    tenant = await session.scalar(text("SELECT current_setting('app.tenant_id', true)"))
    await session.execute(
        text("INSERT INTO effects VALUES (:id, :n, :tenant)"),
        {"id": envelope.id, "n": event.n, "tenant": tenant},
    )


def consumer_for(infra, db, topic, handler, **kwargs) -> EventConsumer:
    return EventConsumer(
        name=f"c{uuid.uuid4().hex[:6]}",
        service_name="test",
        bootstrap_servers=infra.kafka_bootstrap,
        sessions=db.sessions,
        subscriptions=subscriptions((ThingHappened, handler)),
        topics=[topic],
        **kwargs,
    )


@contextlib.asynccontextmanager
async def running(consumer: EventConsumer):
    task = asyncio.create_task(consumer.run())
    try:
        yield consumer
    finally:
        task.cancel()
        done, _ = await asyncio.wait({task}, timeout=30)
        assert done, "the consumer did not stop within 30 s of being cancelled"
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def wait_for_rows(db, sql: str, expected: int) -> list:
    async def rows() -> list:
        async with db.engine.connect() as conn:
            return list((await conn.execute(text(sql))).all())

    return await eventually(rows, lambda found: len(found) >= expected, what=sql)


async def test_a_redelivered_event_has_its_effect_once(infra, effects, topic):
    tenant = uuid.uuid4()
    envelope = envelope_for(ThingHappened(thing_id=uuid.uuid4(), n=1), tenant)
    second = envelope_for(ThingHappened(thing_id=uuid.uuid4(), n=2), tenant)
    for e in (envelope, envelope, second):  # the first one twice: a redelivery
        await send(infra, topic, e)
    async with running(consumer_for(infra, effects, topic, record_effect)):
        rows = await wait_for_rows(effects, "SELECT n, tenant FROM effects ORDER BY n", 2)
    assert rows == [(1, str(tenant)), (2, str(tenant))]


async def test_a_failing_handler_is_retried_then_dead_lettered_and_the_partition_moves_on(
    infra, effects, topic
):
    attempts = []

    async def flaky(session, event, envelope):
        if event.n == 13:
            attempts.append(1)
            raise RuntimeError("cannot handle thirteen")
        await record_effect(session, event, envelope)

    tenant = uuid.uuid4()
    bad = envelope_for(ThingHappened(thing_id=uuid.uuid4(), n=13), tenant)
    good = envelope_for(ThingHappened(thing_id=uuid.uuid4(), n=14), tenant)
    await send(infra, topic, bad)
    await send(infra, topic, good)
    policy = RetryPolicy(attempts=3, first_delay_s=0.01, max_delay_s=0.02)
    async with running(consumer_for(infra, effects, topic, flaky, retry=policy)):
        rows = await wait_for_rows(effects, "SELECT n FROM effects", 1)
        dead = await read_until(infra.kafka_bootstrap, topic + ".dlq", lambda rs: len(rs) >= 1)
    assert rows == [(14,)]
    assert len(attempts) == 3
    headers = dict(dead[0].headers)
    assert headers["dlq_error"] == b"cannot handle thirteen"
    assert headers["dlq_attempts"] == b"3"
    assert headers["ce_id"] == str(bad.id).encode()


async def test_a_message_that_is_not_a_cloudevent_goes_straight_to_the_dlq(infra, effects, topic):
    await produce(infra.kafka_bootstrap, topic, b"{}", headers=[("ce_type", b"x")])
    good = envelope_for(ThingHappened(thing_id=uuid.uuid4(), n=5), uuid.uuid4())
    await send(infra, topic, good)
    async with running(consumer_for(infra, effects, topic, record_effect)):
        await wait_for_rows(effects, "SELECT n FROM effects", 1)
        dead = await read_until(infra.kafka_bootstrap, topic + ".dlq", lambda rs: len(rs) >= 1)
    assert b"missing CloudEvents headers" in dict(dead[0].headers)["dlq_error"]


async def test_a_payload_off_its_contract_is_dead_lettered_without_retries(infra, effects, topic):
    calls = []

    async def handler(session, event, envelope):
        calls.append(event)

    bad = envelope_for(ThingHappened(thing_id=uuid.uuid4(), n=1), uuid.uuid4())
    bad = Envelope(**{**bad.__dict__, "data": b'{"thing_id": "nope"}'})
    await send(infra, topic, bad)
    async with running(consumer_for(infra, effects, topic, handler)):
        dead = await read_until(infra.kafka_bootstrap, topic + ".dlq", lambda rs: len(rs) >= 1)
    assert dict(dead[0].headers)["dlq_attempts"] == b"1"
    assert calls == []


async def test_a_restarted_consumer_of_the_same_group_repeats_no_effect(infra, effects, topic):
    tenant = uuid.uuid4()
    consumer = consumer_for(infra, effects, topic, record_effect)
    await send(infra, topic, envelope_for(ThingHappened(thing_id=uuid.uuid4(), n=1), tenant))
    async with running(consumer):
        await wait_for_rows(effects, "SELECT n FROM effects", 1)
    await send(infra, topic, envelope_for(ThingHappened(thing_id=uuid.uuid4(), n=2), tenant))
    again = consumer_for(infra, effects, topic, record_effect)
    again.name = consumer.name  # same group
    async with running(again):
        rows = await wait_for_rows(effects, "SELECT n FROM effects ORDER BY n", 2)
    assert rows == [(1,), (2,)]


async def test_a_consumer_whose_client_fails_is_rebuilt_and_goes_on(infra, effects, topic):
    tenant = uuid.uuid4()
    consumer = consumer_for(infra, effects, topic, record_effect)
    real_commit, failures = consumer._commit, []

    async def commit_failing_once(*args):
        if not failures:
            failures.append(1)
            raise RuntimeError("the client broke")
        await real_commit(*args)

    consumer._commit = commit_failing_once
    await send(infra, topic, envelope_for(ThingHappened(thing_id=uuid.uuid4(), n=1), tenant))
    async with running(consumer):
        await wait_for_rows(effects, "SELECT n FROM effects", 1)
        await send(infra, topic, envelope_for(ThingHappened(thing_id=uuid.uuid4(), n=2), tenant))
        rows = await wait_for_rows(effects, "SELECT n FROM effects ORDER BY n", 2)
    assert failures == [1]
    assert rows == [(1,), (2,)]  # the first event, redelivered after the rebuild, counted once


async def test_a_consumer_without_a_database_runs_its_handler_for_each_delivery(infra, topic):
    seen = []

    async def remember(session, event, envelope):
        assert session is None
        seen.append(event.n)

    consumer = EventConsumer(
        name=f"c{uuid.uuid4().hex[:6]}",
        service_name="gateway",
        bootstrap_servers=infra.kafka_bootstrap,
        sessions=None,
        subscriptions=subscriptions((ThingHappened, remember)),
        topics=[topic],
    )
    await send(infra, topic, envelope_for(ThingHappened(thing_id=uuid.uuid4(), n=7), uuid.uuid4()))
    async with running(consumer):
        await eventually(lambda: asyncio.sleep(0, seen), lambda s: s == [7], what="handled")


async def test_a_catch_all_subscription_sees_every_other_event_as_plain_json(infra, effects, topic):
    seen = []

    async def audit(session, payload, envelope):
        seen.append((envelope.type, payload["n"]))

    consumer = EventConsumer(
        name=f"c{uuid.uuid4().hex[:6]}",
        service_name="test",
        bootstrap_servers=infra.kafka_bootstrap,
        sessions=effects.sessions,
        subscriptions=subscriptions(every_other=audit),
        topics=[topic],
    )
    await send(infra, topic, envelope_for(ThingHappened(thing_id=uuid.uuid4(), n=3), uuid.uuid4()))
    async with running(consumer):
        await eventually(lambda: asyncio.sleep(0, seen), lambda s: len(s) == 1, what="audited")
    assert seen == [("test.thing.happened", 3)]


async def test_a_static_member_restarted_after_a_crash_takes_its_partitions_back_at_once(
    infra, effects, topic, monkeypatch
):
    """The first member dies without a goodbye (no LeaveGroup, as after a kill -9); its
    successor with the same instance id is handed the partitions without waiting out the
    dead member's 10 s session timeout."""
    name = f"c{uuid.uuid4().hex[:6]}"
    tenant = uuid.uuid4()

    def member() -> EventConsumer:
        consumer = consumer_for(infra, effects, topic, record_effect)
        consumer.name = name
        consumer.join_as("127.0.0.1:1")
        return consumer

    async def no_goodbye(self) -> None:
        return None

    await send(infra, topic, envelope_for(ThingHappened(thing_id=uuid.uuid4(), n=1), tenant))
    with monkeypatch.context() as crash:
        crash.setattr(GroupCoordinator, "_maybe_leave_group", no_goodbye)
        async with running(member()):
            await wait_for_rows(effects, "SELECT n FROM effects", 1)
    await send(infra, topic, envelope_for(ThingHappened(thing_id=uuid.uuid4(), n=2), tenant))
    restarted = asyncio.get_running_loop().time()
    async with running(member()):
        rows = await wait_for_rows(effects, "SELECT n FROM effects ORDER BY n", 2)
        took_s = asyncio.get_running_loop().time() - restarted
    assert rows == [(1,), (2,)]
    assert took_s < 5, f"the restarted member waited {took_s:.1f}s for its partitions"
