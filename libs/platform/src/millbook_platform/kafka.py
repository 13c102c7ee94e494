"""Kafka clients configured for Millbook's guarantees.

aiokafka's defaults are weaker than Kafka's Java client (acks=1, no
idempotence, auto-commit, start at latest); these factories say what we need.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

log = logging.getLogger("millbook.kafka")

C = TypeVar("C", AIOKafkaProducer, AIOKafkaConsumer)
T = TypeVar("T")

# aiokafka's send_and_wait() and stop() can hang while the broker is down (#1101).
STOP_TIMEOUT_S = 10.0


def reliable_producer(bootstrap_servers: str, *, client_id: str) -> AIOKafkaProducer:
    return AIOKafkaProducer(
        bootstrap_servers=bootstrap_servers,
        client_id=client_id,
        acks="all",
        enable_idempotence=True,
        linger_ms=2,
        request_timeout_ms=15000,
        retry_backoff_ms=200,
    )


def manual_commit_consumer(
    bootstrap_servers: str,
    *,
    group_id: str,
    topics: list[str],
    client_id: str,
    group_instance_id: str | None = None,
) -> AIOKafkaConsumer:
    """`group_instance_id` makes the member static (KIP-345): the broker hands a restarted
    process its partitions back at once, and fences an older process with the same id."""
    return AIOKafkaConsumer(
        *topics,
        bootstrap_servers=bootstrap_servers,
        group_id=group_id,
        group_instance_id=group_instance_id,
        client_id=client_id,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        isolation_level="read_committed",
        max_poll_records=200,
        session_timeout_ms=10000,
        heartbeat_interval_ms=1000,
        metadata_max_age_ms=10000,
    )


def assigned_consumer(bootstrap_servers: str, *, client_id: str) -> AIOKafkaConsumer:
    """A consumer outside any group: it is assigned partitions and commits nothing."""
    return AIOKafkaConsumer(
        bootstrap_servers=bootstrap_servers,
        group_id=None,
        client_id=client_id,
        enable_auto_commit=False,
        isolation_level="read_committed",
        max_poll_records=200,
        metadata_max_age_ms=10000,
    )


async def start_with_retry(make: Callable[[], C], what: str) -> C:
    """A started client, waiting out a broker that is not up yet.

    Each attempt builds a new client and stops the one that failed or was cancelled:
    aiokafka cannot start a client twice, and a group consumer's start (which waits
    for its first assignment) leaves heartbeat and coordination tasks behind unless
    it is stopped.
    """
    delay = 0.2
    while True:
        client = make()
        try:
            await client.start()
            return client
        except asyncio.CancelledError:
            await stop_quietly(client)
            raise
        except Exception as exc:  # the broker may be down; try again with backoff
            await stop_quietly(client)
            log.warning("%s cannot reach Kafka yet (%s); retrying in %.1fs", what, exc, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)


async def stop_quietly(client: AIOKafkaProducer | AIOKafkaConsumer) -> None:
    try:
        await within(client.stop(), STOP_TIMEOUT_S)
    except (TimeoutError, Exception) as exc:  # shutting down: report, never hang
        log.warning("Kafka client did not stop cleanly: %s", exc)


# What `within` gave up waiting for, kept referenced until it ends on its own.
_left_running: set[asyncio.Future[Any]] = set()


async def within(awaitable: Awaitable[T], seconds: float) -> T:
    """`awaitable`'s result, or TimeoutError after `seconds`.

    Unlike `asyncio.wait_for`, which after its timeout (or its caller's cancellation) waits
    until the cancelled work has unwound, this returns at once and leaves the work to end by
    itself: aiokafka's stop() and commit() can take far longer than asked to unwind (a
    consumer's stop hung a test for minutes after its work was done).
    """
    task = asyncio.ensure_future(awaitable)
    _left_running.add(task)
    task.add_done_callback(_left_running.discard)
    try:
        done, _ = await asyncio.wait({task}, timeout=seconds)
    except asyncio.CancelledError:
        task.cancel()
        raise
    if not done:
        task.cancel()
        raise TimeoutError(f"not done within {seconds:g} s")
    return task.result()
