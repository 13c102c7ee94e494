"""The consumer side: CloudEvents in, one effect per event id, bounded retries, DLQ.

For each message the handler runs inside a transaction scoped to the event's
tenant, together with an insert into `processed_events`; a redelivered event
finds its row and changes nothing. A message that keeps failing goes to
`<topic>.dlq` with the error in its headers. Offsets are committed only after
the effect (or the dead letter) is safely stored.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import traceback
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.errors import CommitFailedError
from opentelemetry.trace import SpanKind
from pydantic import ValidationError
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from millbook_contracts.envelope import Envelope, EnvelopeError
from millbook_contracts.events import Event
from millbook_contracts.topics import DLQ_SUFFIX
from millbook_platform import metrics
from millbook_platform.db import unit_of_work
from millbook_platform.kafka import (
    assigned_consumer,
    manual_commit_consumer,
    reliable_producer,
    start_with_retry,
    stop_quietly,
    within,
)
from millbook_platform.requestctx import tenant_id_var
from millbook_platform.tables import ProcessedEvent
from millbook_platform.tracing import continued_span

log = logging.getLogger("millbook.consumer")

# (session, payload, envelope); the session is None for a consumer without a database.
Handler = Callable[[Any, Any, Envelope], Awaitable[None]]

TOPIC_WAIT_S = 1.0
COMMIT_TIMEOUT_S = 30.0


# The key of a subscription that takes every event type the others do not (the
# audit trail); its handler gets the payload as plain JSON.
EVERY_EVENT = "*"


@dataclass(frozen=True)
class Subscription:
    """Which handler runs for one event type, and the contract its payload follows.

    `event` is None for the catch-all subscription, which gets the plain JSON.
    """

    event: type[Event] | None
    handler: Handler


class PoisonMessage(Exception):
    """A message no retry can fix (not a CloudEvent, or a payload off its contract)."""


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 5
    first_delay_s: float = 0.2
    max_delay_s: float = 5.0

    def delay(self, attempt: int) -> float:
        return float(min(self.first_delay_s * 2 ** (attempt - 1), self.max_delay_s))


class EventConsumer:
    """Runs a named consumer group over the topics its subscriptions need."""

    def __init__(
        self,
        *,
        name: str,
        service_name: str,
        bootstrap_servers: str,
        sessions: async_sessionmaker[AsyncSession] | None,
        subscriptions: Mapping[str, Subscription],
        topics: list[str],
        retry: RetryPolicy | None = None,
        replay_since_s: float | None = None,
    ) -> None:
        """`replay_since_s` runs it outside any consumer group, reading every partition from
        that many seconds ago at each start: for state each process keeps in memory (the
        gateway's revocations), which needs recent events again after a restart and
        leaves no group behind.
        """
        self.name = name
        self._replay_since_s = replay_since_s
        self._service = service_name
        self._bootstrap = bootstrap_servers
        self._sessions = sessions
        self._subscriptions = dict(subscriptions)
        self._topics = topics
        self._retry = retry or RetryPolicy()
        self._instance_id: str | None = None
        self.last_poll_at = 0.0
        # A replaying consumer: per partition, when it last held everything published.
        self._current_since: dict[TopicPartition, float] = {}
        self.current_as_of: float | None = None

    def join_as(self, instance_id: str | None) -> None:
        """Be the static member `instance_id` of the group (the process's own name, from
        its settings); None keeps it a dynamic member."""
        self._instance_id = instance_id

    @property
    def group_id(self) -> str:
        return f"{self._service}.{self.name}"

    async def run(self) -> None:
        """Consume until cancelled; a failed client is rebuilt, never left dead."""
        delay = 0.5
        while True:
            started = time.monotonic()
            try:
                await self._run_once()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("consumer %s failed; rebuilding it in %.1fs", self.group_id, delay)
            # A client that ran for a while earns a quick restart; a crash loop backs off.
            delay = 0.5 if time.monotonic() - started > 60 else min(delay * 2, 30.0)
            await asyncio.sleep(delay)

    async def _run_once(self) -> None:
        client_id = f"{self.group_id}-consumer"

        def make_consumer() -> AIOKafkaConsumer:
            if self._replay_since_s is None:
                return manual_commit_consumer(
                    self._bootstrap,
                    group_id=self.group_id,
                    topics=self._topics,
                    client_id=client_id,
                    group_instance_id=(
                        f"{self.group_id}@{self._instance_id}" if self._instance_id else None
                    ),
                )
            return assigned_consumer(self._bootstrap, client_id=client_id)

        dlq = await start_with_retry(
            lambda: reliable_producer(self._bootstrap, client_id=f"{self.group_id}-dlq"),
            f"{self.group_id} dead-letter producer",
        )
        try:
            consumer = await start_with_retry(make_consumer, f"{self.group_id} consumer")
            try:
                if self._replay_since_s is not None:
                    await self._assign_since(consumer, self._replay_since_s)
                await self._consume(consumer, dlq)
            finally:
                await stop_quietly(consumer)
        finally:
            await stop_quietly(dlq)

    async def _consume(self, consumer: AIOKafkaConsumer, dlq: AIOKafkaProducer) -> None:
        while True:
            batches = await consumer.getmany(timeout_ms=500, max_records=200)
            self.last_poll_at = time.time()
            metrics.CONSUMER_LAST_POLL.labels(self._service, self.name).set(self.last_poll_at)
            for partition, records in batches.items():
                for record in records:
                    await self.handle_record(record, dlq)
                await self._commit(consumer, partition, records[-1].offset + 1)
                self._report_lag(consumer, partition, records[-1].offset)
            if self._replay_since_s is not None:
                await self._note_progress(consumer)

    async def _note_progress(self, consumer: AIOKafkaConsumer) -> None:
        """Advance `current_as_of`: the instant before which every event of every partition
        has been handled (None until the replay has reached each partition's end once).

        A partition is current as of its last fetch answer when everything up to that
        answer's high watermark is handled. A broker that stops answering stops this clock,
        while `last_poll_at` keeps ticking.
        """
        assigned = consumer.assignment()
        for tp in assigned:
            end = consumer.last_stable_offset(tp)
            if end is None or end < 0:
                end = consumer.highwater(tp)
            answered_ms = consumer.last_poll_timestamp(tp)
            if end is not None and answered_ms is not None and await consumer.position(tp) >= end:
                self._current_since[tp] = answered_ms / 1000
        if assigned and all(tp in self._current_since for tp in assigned):
            self.current_as_of = min(self._current_since[tp] for tp in assigned)
            metrics.CONSUMER_CURRENT_AS_OF.labels(self._service, self.name).set(self.current_as_of)

    async def _assign_since(self, consumer: AIOKafkaConsumer, seconds: float) -> None:
        """Every partition of the topics, each from its first event of the last `seconds`."""
        partitions = await self._partitions(consumer)
        consumer.assign(partitions)
        since_ms = int((time.time() - seconds) * 1000)
        found = await consumer.offsets_for_times({p: since_ms for p in partitions})
        ends = await consumer.end_offsets(partitions)
        for partition in partitions:
            at = found.get(partition)
            # Nothing that recent: only what comes (an explicit offset, so the position is
            # known at once and progress can be told from the first fetch).
            consumer.seek(partition, ends[partition] if at is None else at.offset)

    async def _partitions(self, consumer: AIOKafkaConsumer) -> list[TopicPartition]:
        """The topics' partitions, waiting for topics that do not exist yet."""
        while True:
            cluster = await consumer._client.fetch_all_metadata()
            found = {t: cluster.partitions_for_topic(t) or set() for t in self._topics}
            if all(found.values()):
                return [TopicPartition(t, n) for t, numbers in found.items() for n in numbers]
            self.last_poll_at = time.time()  # waiting, not stuck
            await asyncio.sleep(TOPIC_WAIT_S)

    async def _commit(
        self, consumer: AIOKafkaConsumer, partition: TopicPartition, offset: int
    ) -> None:
        if self._replay_since_s is not None:
            return  # outside a group there is nothing to commit to
        try:
            await within(consumer.commit({partition: offset}), COMMIT_TIMEOUT_S)
        except (CommitFailedError, TimeoutError) as exc:
            # The group rebalanced (or the broker vanished) while we worked: the
            # partition's new owner re-reads from the last committed offset, and the
            # inbox makes those redeliveries change nothing.
            log.warning(
                "offset commit for %s failed (%s); events will be redelivered", partition, exc
            )

    def _report_lag(self, consumer: AIOKafkaConsumer, tp: TopicPartition, offset: int) -> None:
        highwater = consumer.highwater(tp)
        if highwater is not None:
            metrics.CONSUMER_LAG.labels(self._service, self.name, tp.topic, tp.partition).set(
                max(highwater - offset - 1, 0)
            )

    async def handle_record(self, record: ConsumerRecord[Any, Any], dlq: AIOKafkaProducer) -> str:
        """Handle one Kafka message to its end: processed, duplicate, ignored or dead-lettered."""
        headers = [(k, v) for k, v in record.headers]
        try:
            envelope = Envelope.from_kafka(headers, record.value)
        except EnvelopeError as exc:
            await self._dead_letter(dlq, record, exc, attempts=0)
            return self._count("unknown", "dead_lettered")
        subscription = self._subscriptions.get(envelope.type) or self._subscriptions.get(
            EVERY_EVENT
        )
        if subscription is None:
            return self._count(envelope.type, "ignored")  # unknown types are someone else's
        text_headers = [(k, v.decode("utf-8", "replace")) for k, v in headers]
        with continued_span(f"consume {envelope.type}", text_headers, SpanKind.CONSUMER):
            return await self._handle_with_retries(record, envelope, subscription, dlq)

    async def _handle_with_retries(
        self,
        record: ConsumerRecord[Any, Any],
        envelope: Envelope,
        subscription: Subscription,
        dlq: AIOKafkaProducer,
    ) -> str:
        attempt = 0
        while True:
            attempt += 1
            try:
                outcome = await self.apply(envelope, subscription)
                return self._count(envelope.type, outcome)
            except PoisonMessage as exc:
                await self._dead_letter(dlq, record, exc, attempts=attempt)
                return self._count(envelope.type, "dead_lettered")
            except Exception as exc:
                if attempt >= self._retry.attempts:
                    log.exception("giving up on %s %s", envelope.type, envelope.id)
                    await self._dead_letter(dlq, record, exc, attempts=attempt)
                    return self._count(envelope.type, "dead_lettered")
                self._count(envelope.type, "retried")
                log.warning("handler for %s failed (%s); retry %d", envelope.type, exc, attempt)
                await asyncio.sleep(self._retry.delay(attempt))

    async def apply(self, envelope: Envelope, subscription: Subscription) -> str:
        """Run the handler and record the event id in one transaction."""
        try:
            payload = (
                subscription.event.model_validate_json(envelope.data)
                if subscription.event is not None
                else json.loads(envelope.data or b"null")
            )
        except (ValidationError, ValueError) as exc:
            raise PoisonMessage(f"payload does not match {envelope.dataschema}: {exc}") from exc
        token = tenant_id_var.set(str(envelope.tenant_id))
        try:
            if self._sessions is None:
                # A process without a database (the gateway) keeps no inbox: its
                # handlers must be idempotent by themselves (e.g. add to a set).
                await subscription.handler(None, payload, envelope)
                return "processed"
            async with unit_of_work(self._sessions, tenant_id=envelope.tenant_id) as session:
                first_time = await session.scalar(
                    insert(ProcessedEvent)
                    .values(consumer=self.group_id, event_id=envelope.id, event_type=envelope.type)
                    .on_conflict_do_nothing()
                    .returning(ProcessedEvent.event_id)
                )
                if first_time is None:
                    return "duplicate"
                await subscription.handler(session, payload, envelope)
            return "processed"
        finally:
            tenant_id_var.reset(token)

    async def _dead_letter(
        self,
        dlq: AIOKafkaProducer,
        record: ConsumerRecord[Any, Any],
        error: BaseException,
        *,
        attempts: int,
    ) -> None:
        headers = [
            *record.headers,
            ("dlq_error", str(error)[:2000].encode()),
            ("dlq_error_type", type(error).__name__.encode()),
            ("dlq_trace", "".join(traceback.format_exception(error))[-4000:].encode()),
            ("dlq_consumer", self.group_id.encode()),
            ("dlq_attempts", str(attempts).encode()),
            ("dlq_original_topic", record.topic.encode()),
            ("dlq_original_partition", str(record.partition).encode()),
            ("dlq_original_offset", str(record.offset).encode()),
        ]
        delay = 0.2
        while True:  # the offset is not committed until the dead letter is stored
            try:
                await asyncio.wait_for(
                    dlq.send_and_wait(
                        record.topic + DLQ_SUFFIX,
                        value=record.value,
                        key=record.key,
                        headers=headers,
                    ),
                    timeout=30.0,
                )
                return
            except Exception as exc:
                log.warning("cannot write dead letter (%s); retrying in %.1fs", exc, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)

    def _count(self, event_type: str, outcome: str) -> str:
        metrics.EVENTS_HANDLED.labels(self._service, self.name, event_type, outcome).inc()
        return outcome


def subscriptions(
    *pairs: tuple[type[Event], Handler], every_other: Handler | None = None
) -> dict[str, Subscription]:
    """Route event types to handlers with a plain mapping (and optionally all the rest)."""
    routes = {event.event_type: Subscription(event, handler) for event, handler in pairs}
    if every_other is not None:
        routes[EVERY_EVENT] = Subscription(None, every_other)
    return routes
