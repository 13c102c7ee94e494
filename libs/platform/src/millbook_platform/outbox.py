"""The transactional outbox and its relay.

`record_event` adds the event row to the caller's transaction, so the state
change and the event commit together or not at all. `OutboxRelay` publishes
committed rows to Kafka in id order with an idempotent `acks=all` producer,
marks them published in the same database transaction that selected them, and
wakes on NOTIFY at commit instead of polling slowly. It selects unpublished rows
(`published_at IS NULL`), never "id greater than last seen", so a transaction
that commits out of id order is not skipped. One relay per database holds an
advisory lock, which keeps publishing in order per aggregate.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import psycopg
from aiokafka import AIOKafkaProducer
from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from millbook_contracts.envelope import Envelope
from millbook_contracts.events import Event
from millbook_platform import metrics
from millbook_platform.kafka import reliable_producer, start_with_retry, stop_quietly
from millbook_platform.tables import OutboxRow
from millbook_platform.tracing import current_traceparent

log = logging.getLogger("millbook.outbox")

RELAY_LOCK_KEY = 7_200_001  # pg_advisory_lock key: one relay per service database
KEEP_PUBLISHED = timedelta(days=7)


def record_event(
    session: AsyncSession,
    event: Event,
    *,
    tenant_id: uuid.UUID,
    source: str,
    event_id: uuid.UUID | None = None,
) -> uuid.UUID:
    """Add `event` to the caller's transaction; it is published once that commits."""
    envelope = Envelope(
        id=event_id or uuid.uuid4(),
        source=source,
        type=event.event_type,
        subject=event.subject(),
        tenant_id=tenant_id,
        time=datetime.now(UTC),
        dataschema=event.dataschema(),
        data=event.model_dump_json().encode(),
        traceparent=current_traceparent(),
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
        batch_size: int = 500,
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
        last_sweep = datetime.now(UTC)
        backoff = 0.1
        while True:
            try:
                published = await self.publish_batch(producer)
                backoff = 0.1
            except Exception as exc:  # broker or database trouble: keep the rows, retry
                self.connected = False
                metrics.OUTBOX_PUBLISH_FAILURES.labels(self._service).inc()
                log.warning("outbox publish failed (%s); retrying in %.1fs", exc, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)
                continue
            self.connected = True
            if published == self._batch_size:
                continue
            if datetime.now(UTC) - last_sweep > timedelta(hours=1):
                await self.sweep_published()
                last_sweep = datetime.now(UTC)
            await self._wait_for_work()

    async def _wait_for_work(self) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), self._idle_poll_s)
        self._wake.clear()

    async def publish_batch(self, producer: AIOKafkaProducer) -> int:
        """Publish the oldest unpublished rows and mark them, in one transaction."""
        async with AsyncSession(self._engine) as session, session.begin():
            rows = await self._claim(session)
            if not rows:
                await self._report_backlog(session, 0)
                return 0
            await self._send_all(producer, rows)
            now = datetime.now(UTC)
            await session.execute(
                update(OutboxRow)
                .where(OutboxRow.id.in_([row.id for row in rows]))
                .values(published_at=func.clock_timestamp())
            )
            for row in rows:
                metrics.OUTBOX_PUBLISH_LATENCY.labels(self._service).observe(
                    (now - row.created_at).total_seconds()
                )
            metrics.OUTBOX_PUBLISHED.labels(self._service).inc(len(rows))
            full = len(rows) == self._batch_size
            await self._report_backlog(session, None if full else 0)
            return len(rows)

    async def _claim(self, session: AsyncSession) -> list[_Pending]:
        result = await session.execute(
            select(
                OutboxRow.id,
                OutboxRow.topic,
                OutboxRow.key,
                OutboxRow.headers,
                OutboxRow.payload,
                OutboxRow.created_at,
            )
            .where(OutboxRow.published_at.is_(None))
            .order_by(OutboxRow.id)
            .limit(self._batch_size)
            .with_for_update(skip_locked=True)
        )
        return [_Pending(*row) for row in result.all()]

    async def _send_all(self, producer: AIOKafkaProducer, rows: Sequence[_Pending]) -> None:
        # Queue all, then wait: the idempotent producer keeps per-partition order
        # while several requests are in flight.
        futures = [
            await producer.send(
                row.topic,
                value=row.payload,
                key=row.key.encode(),
                headers=[(name, value.encode()) for name, value in row.headers.items()],
            )
            for row in rows
        ]
        await asyncio.wait_for(asyncio.gather(*futures), timeout=30.0)

    async def _report_backlog(self, session: AsyncSession, known: int | None) -> None:
        if known is None:
            known = (
                await session.scalar(select(func.count()).where(OutboxRow.published_at.is_(None)))
                or 0
            )
        metrics.OUTBOX_BACKLOG.labels(self._service).set(known)

    async def sweep_published(self) -> int:
        """Delete rows published long ago; Kafka keeps the events forever."""
        async with AsyncSession(self._engine) as session, session.begin():
            result = await session.execute(
                delete(OutboxRow).where(OutboxRow.published_at < datetime.now(UTC) - KEEP_PUBLISHED)
            )
            return int(getattr(result, "rowcount", 0) or 0)

    async def backlog(self) -> int:
        async with AsyncSession(self._engine) as session:
            count = await session.scalar(
                select(func.count()).where(OutboxRow.published_at.is_(None))
            )
            return int(count or 0)

    async def _close_producer(self) -> None:
        self.connected = False
        if self._producer is not None:
            await stop_quietly(self._producer)
            self._producer = None
