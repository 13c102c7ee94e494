"""Helpers for tests that talk to the real broker: scratch topics, reading until found."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from millbook_contracts.events import Event


async def create_topics(bootstrap: str, *names: str, partitions: int = 1) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics(
            [NewTopic(name, num_partitions=partitions, replication_factor=1) for name in names]
        )
    finally:
        await admin.close()


def scratch_topic(prefix: str = "test") -> str:
    return f"{prefix}.{uuid.uuid4().hex[:12]}"


async def read_until(
    bootstrap: str,
    topic: str,
    done: Callable[[list[ConsumerRecord[Any, Any]]], bool],
    *,
    timeout_s: float = 20.0,
) -> list[ConsumerRecord[Any, Any]]:
    """Read `topic` from the beginning until `done(records)` holds, or fail at the deadline."""
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=None,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    records: list[ConsumerRecord[Any, Any]] = []
    try:
        async with asyncio.timeout(timeout_s):
            while not done(records):
                batch = await consumer.getmany(timeout_ms=200)
                for partition_records in batch.values():
                    records.extend(partition_records)
    except TimeoutError:
        raise AssertionError(
            f"{topic}: condition not met within {timeout_s}s; got {len(records)} records"
        ) from None
    finally:
        await consumer.stop()
    return records


async def produce(
    bootstrap: str,
    topic: str,
    value: bytes,
    *,
    key: bytes | None = None,
    headers: list[tuple[str, bytes]] | None = None,
) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        await producer.send_and_wait(topic, value=value, key=key, headers=headers or [])
    finally:
        await producer.stop()


async def publish_event(
    bootstrap: str, event: Event, *, tenant_id: uuid.UUID, source: str = "/millbook/identity"
) -> None:
    """Publish `event` as a service's outbox relay would: a CloudEvent keyed by its aggregate."""
    envelope = event.envelope(tenant_id=tenant_id, source=source)
    await produce(
        bootstrap,
        event.topic(),
        envelope.data,
        key=event.subject().encode(),
        headers=envelope.to_headers(),
    )


async def read_all(bootstrap: str, topic: str) -> list[ConsumerRecord[Any, Any]]:
    """Every record the topic holds right now, from the beginning to the end offsets."""
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=None,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    records: list[ConsumerRecord[Any, Any]] = []
    try:
        partitions = [
            TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or [])
        ]
        ends = await consumer.end_offsets(partitions)
        async with asyncio.timeout(30):
            while not await _reached(consumer, ends):
                for batch in (await consumer.getmany(timeout_ms=200)).values():
                    records.extend(batch)
    finally:
        await consumer.stop()
    return records


async def _reached(consumer: AIOKafkaConsumer, ends: dict[TopicPartition, int]) -> bool:
    for partition, end in ends.items():
        if await consumer.position(partition) < end:
            return False
    return True
