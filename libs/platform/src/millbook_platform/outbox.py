"""The transactional outbox and its relay.

`record_event` adds the event row to the caller's transaction, so the state
change and the event commit together or not at all. `OutboxRelay` publishes
committed rows to Kafka in id order with an idempotent `acks=all` producer and
deletes them in the transaction that claimed them, which commits only after
Kafka acknowledged (the outbox is a queue; Kafka keeps the events forever). It
takes whatever rows are present, never "id greater than last seen", so a
transaction that commits out of id order is not skipped.

One relay per database leads, which keeps publishing in order per aggregate.
Leadership and listening live on one dedicated connection: it holds the
session-level advisory lock and LISTENs for the NOTIFY sent at commit (with a
fallback poll). That connection is watched (every notification wait ends in a
heartbeat; TCP keepalives catch a silent peer). When it ends (a PostgreSQL
restart, a terminated backend) the relay stops publishing at once, reconnects
with backoff, takes the lock again, LISTENs again and catches up on the rows
committed meanwhile. Each batch also checks, in its own claiming statement, that
the lock is still held by the leader's backend, so a relay that has not yet
noticed its loss claims nothing; and rows are claimed with a plain row lock, so
a new leader waits for a batch its predecessor still has in flight instead of
publishing later events before it.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

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
NOTIFY_CHANNEL = "millbook_outbox"

# Claims the oldest rows and removes them in one round trip; the removal commits
# only after Kafka acknowledged, so a failure anywhere leaves the rows in place.
# It claims nothing unless the leader's backend (`:leader`) still holds the relay
# lock; a plain FOR UPDATE (not SKIP LOCKED) makes a new leader wait for rows its
# predecessor still has in flight, so a handover never reorders an aggregate.
CLAIM = text(
    """
    DELETE FROM outbox
    WHERE id IN (SELECT id FROM outbox ORDER BY id LIMIT :limit FOR UPDATE)
      AND (
        CAST(:leader AS integer) IS NULL
        OR EXISTS (
          SELECT 1 FROM pg_locks
          WHERE locktype = 'advisory' AND classid = 0 AND objid = :lock_key AND objsubid = 1
            AND granted AND pid = CAST(:leader AS integer)
        )
      )
    RETURNING id, topic, key, headers, payload, created_at
    """
)

# The leader's connection notices a dead peer within seconds even when the host
# vanishes without closing the socket.
LEADER_CONNECTION: dict[str, Any] = {
    "connect_timeout": 5,
    "keepalives": 1,
    "keepalives_idle": 5,
    "keepalives_interval": 2,
    "keepalives_count": 2,
    "tcp_user_timeout": 5000,
}
RECONNECT_FIRST_S = 0.1
RECONNECT_MAX_S = 2.0
STABLE_S = 10.0  # a leadership that lasted this long restarts the backoff from the start


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


def _settled_quietly(future: asyncio.Future[list[object]]) -> None:
    if not future.cancelled():
        future.exception()


class RelayState(enum.Enum):
    RECONNECTING = "reconnecting"  # no live leader connection: publishes nothing
    STANDBY = "standby"  # connected; another relay holds the lock
    LEADING = "leading"  # holds the lock and listens: the only publisher


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
        heartbeat_s: float = 1.0,
    ) -> None:
        self._engine = engine
        self._dsn = libpq_dsn(database_url)
        self._bootstrap = bootstrap_servers
        self._service = service_name
        self._batch_size = batch_size
        self._idle_poll_s = idle_poll_s
        self._heartbeat_s = heartbeat_s
        self._producer: AIOKafkaProducer | None = None
        self._wake = asyncio.Event()
        self._kafka_ok = False
        self._leader_pid: int | None = None
        self._supervised = False  # inside `run`: publishes only while leading
        self.state = RelayState.RECONNECTING
        self._backlog_reported_at = 0.0

    @property
    def leading(self) -> bool:
        """Holds the lock and listens on a live connection (the only state that publishes)."""
        return self.state is RelayState.LEADING

    @property
    def connected(self) -> bool:
        """Ready: standing by on a live connection, or leading with Kafka reachable."""
        if self.state is RelayState.LEADING:
            return self._kafka_ok
        return self.state is RelayState.STANDBY

    async def run(self) -> None:
        """Relay until cancelled; never gives up on the broker or the database."""
        delay = RECONNECT_FIRST_S
        self._supervised = True
        try:
            while True:
                started = time.monotonic()
                try:
                    await self._lead_while_connected()
                except (psycopg.Error, OSError) as exc:
                    log.warning(
                        "outbox relay of %s lost its database connection: %s", self._service, exc
                    )
                except Exception:
                    log.exception("outbox relay of %s failed", self._service)
                finally:
                    self._set_state(RelayState.RECONNECTING)
                if time.monotonic() - started > STABLE_S:
                    delay = RECONNECT_FIRST_S
                await asyncio.sleep(delay)
                delay = min(delay * 2, RECONNECT_MAX_S)
        finally:
            self._set_state(RelayState.RECONNECTING)
            await self._close_producer()

    async def _lead_while_connected(self) -> None:
        """Connect, wait for the lock, then publish until the connection ends (it raises)."""
        async with await psycopg.AsyncConnection.connect(
            self._dsn, autocommit=True, **LEADER_CONNECTION
        ) as conn:
            self._set_state(RelayState.STANDBY)
            await self._wait_for_leadership(conn)
            await conn.execute(f"LISTEN {NOTIFY_CHANNEL}")
            self._leader_pid = conn.info.backend_pid
            self._set_state(RelayState.LEADING)
            log.info("outbox relay of %s leads (backend %d)", self._service, self._leader_pid)
            watcher = asyncio.create_task(self._listen(conn))
            publisher = asyncio.create_task(self._publish_forever())
            try:
                done, _ = await asyncio.wait(
                    {watcher, publisher}, return_when=asyncio.FIRST_COMPLETED
                )
            finally:
                # Stop publishing before anything else: the lock may be gone already.
                self._set_state(RelayState.RECONNECTING)
                for task in (watcher, publisher):
                    task.cancel()
                await asyncio.gather(watcher, publisher, return_exceptions=True)
            metrics.OUTBOX_RELAY_CONNECTION_LOST.labels(self._service).inc()
            for task in done:
                task.result()  # the reason leadership ended
            raise psycopg.OperationalError("the leader connection ended")

    def _set_state(self, state: RelayState) -> None:
        self.state = state
        if state is not RelayState.LEADING:
            self._leader_pid = None
        metrics.OUTBOX_RELAY_LEADING.labels(self._service).set(state is RelayState.LEADING)

    async def _wait_for_leadership(self, conn: psycopg.AsyncConnection[tuple[object, ...]]) -> None:
        # The session-level lock is held for as long as this connection lives. While
        # another relay holds it this one waits in the server, so it takes over the
        # moment the leader's connection ends; its own connection ending ends the wait.
        await conn.execute("SELECT pg_advisory_lock(%s)", (RELAY_LOCK_KEY,))

    async def _listen(self, conn: psycopg.AsyncConnection[tuple[object, ...]]) -> None:
        """Wake the publisher on every NOTIFY; raises once the connection is gone."""
        while True:
            async for _ in conn.notifies(timeout=self._heartbeat_s):
                self._wake.set()
            await conn.execute("SELECT 1")  # a heartbeat between waits

    async def _publish_forever(self) -> None:
        # Starts with a drain: it catches up on what was committed while nobody listened.
        producer = await self._started_producer()
        backoff = 0.1
        while True:
            try:
                await self.drain(producer)
                backoff = 0.1
            except Exception as exc:  # broker or database trouble: keep the rows, retry
                self._kafka_ok = False
                metrics.OUTBOX_PUBLISH_FAILURES.labels(self._service).inc()
                log.warning("outbox publish failed (%s); retrying in %.1fs", exc, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)
                continue
            self._kafka_ok = True
            metrics.OUTBOX_BACKLOG.labels(self._service).set(0)
            await self._wait_for_work()

    async def _started_producer(self) -> AIOKafkaProducer:
        # Kept across leaderships: a reconnect to PostgreSQL need not reconnect to Kafka.
        if self._producer is None:
            self._producer = await start_with_retry(
                lambda: reliable_producer(self._bootstrap, client_id=f"{self._service}-relay"),
                f"{self._service} outbox relay",
            )
        self._kafka_ok = True
        return self._producer

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

        Inside `run` it claims rows only while this relay's leader connection holds
        the lock; called directly (a benchmark) the caller is the only publisher.

        The rows are locked and deleted by one statement, sent, and the deletion
        commits only once Kafka has acknowledged every message; any failure rolls it
        back and the rows are published again later.
        """
        if self._supervised and self._leader_pid is None:
            return 0  # not leading (any more): never publish without the lock
        async with self._engine.begin() as conn:
            # Losing this deletion in a crash only republishes (consumers dedupe by
            # event id), so the relay need not wait for the WAL flush on every batch.
            await conn.execute(text("SET LOCAL synchronous_commit = off"))
            claimed = await conn.execute(
                CLAIM,
                {"limit": self._batch_size, "leader": self._leader_pid, "lock_key": RELAY_LOCK_KEY},
            )
            rows = sorted((_Pending(*row) for row in claimed), key=lambda row: row.id)
            acks = asyncio.gather(*await self._send_all(producer, rows))
            # A batch abandoned on a lost leadership still settles later: retrieve it quietly.
            acks.add_done_callback(_settled_quietly)
            await asyncio.wait_for(acks, timeout=30.0)
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
        self._kafka_ok = False
        if self._producer is not None:
            await stop_quietly(self._producer)
            self._producer = None
