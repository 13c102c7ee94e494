"""Read your own writes across services: wait briefly for a read-model row to arrive.

A client that creates a customer in sales and at once an invoice for it in billing
is ahead of billing's consumer for a moment. A reference to such a row is not
refused at once: the request waits for the projection, bounded (`WAIT_S`), and is
woken the moment the row commits.

How it wakes: a projection that writes a read-model row calls `announce` in its
transaction; PostgreSQL delivers the `NOTIFY` at commit, exactly when the row
becomes visible. One listening connection per process (per event loop and
database) relays those notifications to the requests waiting for that row; it
closes itself after `IDLE_S` without waiters, so a process that never waits holds
no extra connection. A request probes again on every wake-up and, should a
notification be lost (the listener reconnecting), every `REPROBE_S` at the latest.
A reference to nothing costs one probe per `REPROBE_S` for `WAIT_S` seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TypeVar

import psycopg
from sqlalchemy import text
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncSession

log = logging.getLogger("millbook.read_models")

CHANNEL = "millbook_read_model"
WAIT_S = 2.0  # how long a reference waits for a row another service's event brings
REPROBE_S = 0.5  # the latest re-check, should a notification be missed
IDLE_S = 60.0  # the listener's connection closes after this long without waiters
RECONNECT_S = 0.5

T = TypeVar("T")


def row_key(table: str, tenant_id: uuid.UUID | str, row_id: uuid.UUID | str) -> str:
    """What a notification names: one row of one tenant's read model."""
    return f"{table}:{tenant_id}:{row_id}"


async def announce(
    session: AsyncSession, table: str, tenant_id: uuid.UUID | str, row_id: uuid.UUID | str
) -> None:
    """Tell waiting requests that this row changed; delivered when the transaction commits."""
    await session.execute(
        text("SELECT pg_notify(:channel, :key)"),
        {"channel": CHANNEL, "key": row_key(table, tenant_id, row_id)},
    )


async def await_row(
    session: AsyncSession,
    probe: Callable[[], Awaitable[T | None]],
    *,
    table: str,
    tenant_id: uuid.UUID | str,
    row_id: uuid.UUID | str,
    timeout_s: float = WAIT_S,
) -> T | None:
    """`probe()`'s row, waiting up to `timeout_s` for it to arrive; None if it never does.

    The probe runs in the caller's session (its tenant scope, READ COMMITTED: each
    probe sees what committed before it). A row already there costs one probe.
    """
    found = await probe()
    if found is not None or timeout_s <= 0:
        return found
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    listener = _listener(session)
    async with listener.waiting(row_key(table, tenant_id, row_id)) as woken:
        # Listening before the second probe: a row committed in between still wakes us.
        # (Not for longer than a re-probe: without a listener, the timer still finds it.)
        await listener.ready(min(deadline - loop.time(), REPROBE_S))
        while True:
            found = await probe()
            remaining = deadline - loop.time()
            if found is not None or remaining <= 0:
                return found
            woken.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(woken.wait(), min(remaining, REPROBE_S))


class _Listener:
    """One LISTEN connection relaying notifications to the waiters of each row key."""

    def __init__(self, conninfo: str) -> None:
        self._conninfo = conninfo
        self._waiters: dict[str, set[asyncio.Event]] = {}
        self._listening = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    @contextlib.asynccontextmanager
    async def waiting(self, key: str) -> AsyncIterator[asyncio.Event]:
        woken = asyncio.Event()
        self._waiters.setdefault(key, set()).add(woken)
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name="read-model-listener")
        try:
            yield woken
        finally:
            waiters = self._waiters.get(key, set())
            waiters.discard(woken)
            if not waiters:
                self._waiters.pop(key, None)

    async def ready(self, timeout_s: float) -> None:
        """Until LISTEN is in place (or the time is up: the waiter then re-probes on a timer)."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._listening.wait(), max(timeout_s, 0.0))

    async def _run(self) -> None:
        idle_since: float | None = None
        loop = asyncio.get_running_loop()
        while True:
            try:
                async with await psycopg.AsyncConnection.connect(
                    self._conninfo, autocommit=True
                ) as connection:
                    await connection.execute(f"LISTEN {CHANNEL}")
                    self._listening.set()
                    while True:
                        async for note in connection.notifies(timeout=1.0):
                            self._wake(note.payload)
                        if self._waiters:
                            idle_since = None
                        elif idle_since is None:
                            idle_since = loop.time()
                        elif loop.time() - idle_since >= IDLE_S:
                            # No await between the check and this: a new waiter starts a new task.
                            self._listening.clear()
                            self._task = None
                            return
            except (psycopg.Error, OSError) as exc:
                log.warning("read-model listener lost its connection: %s", exc)
                self._wake_all()  # waiters re-probe now rather than at their next timer
                await asyncio.sleep(RECONNECT_S)
            finally:
                self._listening.clear()

    def _wake(self, key: str) -> None:
        for woken in self._waiters.get(key, ()):
            woken.set()

    def _wake_all(self) -> None:
        for waiters in self._waiters.values():
            for woken in waiters:
                woken.set()


_LISTENERS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, _Listener]] = (
    weakref.WeakKeyDictionary()
)


def _listener(session: AsyncSession) -> _Listener:
    """The listener for the session's database on the running loop, made on first use."""
    conninfo = _conninfo(session)
    per_loop = _LISTENERS.setdefault(asyncio.get_running_loop(), {})
    if conninfo not in per_loop:
        per_loop[conninfo] = _Listener(conninfo)
    return per_loop[conninfo]


def _conninfo(session: AsyncSession) -> str:
    url: URL = session.get_bind().engine.url
    return url.set(drivername="postgresql").render_as_string(hide_password=False)
