"""The transactional outbox and its relay.

`record_event` adds the event row to the caller's transaction, so the state
change and the event commit together or not at all. `OutboxRelay` publishes
committed rows to Kafka in id order with an idempotent `acks=all` producer and
deletes them in the transaction that claimed them, which commits only after
Kafka acknowledged (the outbox is a queue; Kafka keeps the events forever). It
wakes on NOTIFY at commit instead of polling slowly, and takes whatever rows are
present, never "id greater than last seen", so a transaction that commits out of
id order is not skipped. One relay per database holds an advisory lock, which
keeps publishing in order per aggregate.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import psycopg
from aiokafka import AIOKafkaProducer
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from millbook_contracts.events import Event
from millbook_platform import metrics
from millbook_platform.kafka import reliable_producer, start_with_retry, stop_quietly
from millbook_platform.requestctx import actor_var, current_request_id
from millbook_platform.tables import OutboxRow
from millbook_platform.tracing import current_traceparent

log = logging.getLogger("millbook.outbox")

RELAY_LOCK_KEY = 7_200_001  # pg_advisory_lock key: one relay per service database

# Claims the oldest rows and removes them in one round trip; the removal commits
# only after Kafka acknowledged, so a failure anywhere leaves the rows in place.
CLAIM = text(
    """
    DELETE FROM outbox
    WHERE id IN (SELECT id FROM outbox ORDER BY id LIMIT :limit FOR UPDATE SKIP LOCKED)
    RETURNING id, topic, key, headers, payload, created_at
    """
)


def record_event(
    session: AsyncSession,
    event: Event,
    *,
    tenant_id: uuid.UUID,
    source: str,
    event_id: uuid.UUID | None = None,
    actor: str | None = None,
) -> uuid.UUID:
    """Add `event` to the caller's transaction; it is published once that commits.

    The actor defaults to the request's caller; a system job names itself (`system:<job>`).
    """
    envelope = event.envelope(
        tenant_id=tenant_id,
        source=source,
        event_id=event_id,
        traceparent=current_traceparent(),
        actor=actor or actor_var.get(),
        request_id=current_request_id(),
    )
    session.add(
        OutboxRow(
            event_id=envelope.id,
            topic=event.topic(),
            key=envelope.subject,
            event_type=envelope.type,
            tenant_id=tenant_id,
            headers=envelope.header_dict(),
            payload=envelope.data,
        )
    )
    event_id_out: uuid.UUID = envelope.id
    return event_id_out


def libpq_dsn(database_url: str) -> str:
    """SQLAlchemy's `postgresql+psycopg://` URL as a plain libpq URL."""
    return database_url.replace("postgresql+psycopg://", "postgresql://", 1)


@dataclass(frozen=True)
class _Pending:
    id: int
    topic: str
    key: str
    headers: dict[str, str]
    payload: bytes
    created_at: datetime


class OutboxRelay:
    """Publishes committed outbox rows to Kafka; run one per service process."""

    def __init__(
        self,
        engine: AsyncEngine,
        *,
        database_url: str,
        bootstrap_servers: str,
        service_name: str,
        batch_size: int = 1000,
        idle_poll_s: float = 1.0,
    ) -> None:
        self._engine = engine
        self._dsn = libpq_dsn(database_url)
        self._bootstrap = bootstrap_servers
        self._service = service_name
        self._batch_size = batch_size
        self._idle_poll_s = idle_poll_s
        self._producer: AIOKafkaProducer | None = None
        self._wake = asyncio.Event()
        self.connected = False
        self._backlog_reported_at = 0.0

    async def run(self) -> None:
        """Relay until cancelled; never gives up on the broker or the database."""
        while True:
            try:
                async with await psycopg.AsyncConnection.connect(
                    self._dsn, autocommit=True
                ) as listener:
                    await self._lead(listener)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("outbox relay of %s failed; restarting in 1s", self._service)
                await asyncio.sleep(1.0)
            finally:
                await self._close_producer()

    async def _lead(self, listener: psycopg.AsyncConnection[tuple[object, ...]]) -> None:
        await self._wait_for_leadership(listener)
        await listener.execute("LISTEN millbook_outbox")
        notifier = asyncio.create_task(self._forward_notifies(listener))
        try:
            self._producer = reliable_producer(self._bootstrap, client_id=f"{self._service}-relay")
            await start_with_retry(self._producer, f"{self._service} outbox relay")
            self.connected = True
            await self._publish_forever(self._producer)
        finally:
            notifier.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await notifier

    async def _wait_for_leadership(self, conn: psycopg.AsyncConnection[tuple[object, ...]]) -> None:
        # The session-level lock is held for as long as this connection lives;
        # while another relay holds it, this one waits its turn.
        while True:
            if await self._try_lock(conn):
                return
            await asyncio.sleep(2.0)

    async def _try_lock(self, conn: psycopg.AsyncConnection[tuple[object, ...]]) -> bool:
        cur = await conn.execute("SELECT pg_try_advisory_lock(%s)", (RELAY_LOCK_KEY,))
        row = await cur.fetchone()
        return bool(row and row[0])

    async def _forward_notifies(self, conn: psycopg.AsyncConnection[tuple[object, ...]]) -> None:
        async for _ in conn.notifies():
            self._wake.set()

    async def _publish_forever(self, producer: AIOKafkaProducer) -> None:
        backoff = 0.1
        while True:
            try:
                await self.drain(producer)
                backoff = 0.1
            except Exception as exc:  # broker or database trouble: keep the rows, retry
                self.connected = False
                metrics.OUTBOX_PUBLISH_FAILURES.labels(self._service).inc()
                log.warning("outbox publish failed (%s); retrying in %.1fs", exc, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)
                continue
            self.connected = True
            metrics.OUTBOX_BACKLOG.labels(self._service).set(0)
            await self._wait_for_work()

    async def _wait_for_work(self) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), self._idle_poll_s)
        self._wake.clear()

    async def drain(self, producer: AIOKafkaProducer) -> int:
        """Publish until no committed row is left; returns how many were published."""
        published = 0
        while True:
            count = await self.publish_batch(producer)
            published += count
            if count < self._batch_size:
                return published
            await self._report_backlog_now_and_then()

    async def publish_batch(self, producer: AIOKafkaProducer) -> int:
        """Publish the oldest rows and remove them, in one transaction.

        The rows are locked and deleted by one statement, sent, and the deletion
        commits only once Kafka has acknowledged every message; any failure rolls it
        back and the rows are published again later.
        """
        async with self._engine.begin() as conn:
            # Losing this deletion in a crash only republishes (consumers dedupe by
            # event id), so the relay need not wait for the WAL flush on every batch.
            await conn.execute(text("SET LOCAL synchronous_commit = off"))
            claimed = await conn.execute(CLAIM, {"limit": self._batch_size})
            rows = sorted((_Pending(*row) for row in claimed), key=lambda row: row.id)
            acks = await self._send_all(producer, rows)
            await asyncio.wait_for(asyncio.gather(*acks), timeout=30.0)
        self._observe(rows)
        return len(rows)

    def _observe(self, rows: Sequence[_Pending]) -> None:
        now = datetime.now(UTC)
        latency = metrics.OUTBOX_PUBLISH_LATENCY.labels(self._service)
        for row in rows:
            latency.observe((now - row.created_at).total_seconds())
        metrics.OUTBOX_PUBLISHED.labels(self._service).inc(len(rows))

    async def _send_all(
        self, producer: AIOKafkaProducer, rows: Sequence[_Pending]
    ) -> list[asyncio.Future[object]]:
        # Queued in id order; the idempotent producer keeps per-partition order while
        # several requests are in flight.
        return [
            await producer.send(
                row.topic,
                value=row.payload,
                key=row.key.encode(),
                headers=[(name, value.encode()) for name, value in row.headers.items()],
            )
            for row in rows
        ]

    async def _report_backlog_now_and_then(self) -> None:
        # Counting the rows left costs a scan: at most once a second while draining.
        if time.monotonic() - self._backlog_reported_at > 1.0:
            metrics.OUTBOX_BACKLOG.labels(self._service).set(await self.backlog())
            self._backlog_reported_at = time.monotonic()

    async def backlog(self) -> int:
        async with AsyncSession(self._engine) as session:
            count = await session.scalar(select(func.count()).select_from(OutboxRow))
            return int(count or 0)

    async def _close_producer(self) -> None:
        self.connected = False
        if self._producer is not None:
            await stop_quietly(self._producer)
            self._producer = None
