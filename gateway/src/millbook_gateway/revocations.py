"""Revocation within a second: identity's events reach every gateway through Kafka.

`identity.session.revoked` ends a session: its access tokens are refused from
then on, not at expiry. `identity.api_key.revoked` drops the key's cached
resolution, so the next call asks identity again (and is refused).

Every gateway process reads every revocation, so none joins a consumer group:
each is assigned every partition and, at each start, reads from one access-token
lifetime ago, so a restarted gateway learns the revocations of tokens that are
still valid, and a stopped one leaves no group behind. It keeps only revocations
younger than that lifetime: an older session's tokens have all expired.
"""

from __future__ import annotations

import os
import socket
import time
import uuid
from collections.abc import Callable
from datetime import datetime

from millbook_contracts.envelope import Envelope
from millbook_contracts.events import ApiKeyRevoked, SessionRevoked
from millbook_contracts.topics import IDENTITY_API_KEY, IDENTITY_SESSION
from millbook_gateway.api_keys import ApiKeyCache
from millbook_platform.consumer import EventConsumer, subscriptions

Clock = Callable[[], float]
SWEEP_EVERY_S = 60.0


class RevokedSessions:
    """Session ids whose tokens are refused, each kept while such a token could still be valid."""

    def __init__(self, *, keep_s: float, clock: Clock = time.time) -> None:
        self.keep_s = keep_s
        self._clock = clock
        self._revoked: dict[uuid.UUID, float] = {}
        self._swept_at = clock()

    def add(self, session_id: uuid.UUID, revoked_at: datetime) -> None:
        now = self._clock()
        self._sweep(now)
        at = revoked_at.timestamp()
        if now - at < self.keep_s:
            self._revoked[session_id] = at

    def __contains__(self, session_id: object) -> bool:
        at = self._revoked.get(session_id) if isinstance(session_id, uuid.UUID) else None
        return at is not None and self._clock() - at < self.keep_s

    def __len__(self) -> int:
        return len(self._revoked)

    def _sweep(self, now: float) -> None:
        if now - self._swept_at < SWEEP_EVERY_S:
            return
        self._swept_at = now
        self._revoked = {s: at for s, at in self._revoked.items() if now - at < self.keep_s}


def consumer_name() -> str:
    """Names this gateway's client in the broker's logs and metrics."""
    return f"revocations-{socket.gethostname()}-{os.getpid()}"


def revocation_consumer(
    *,
    service_name: str,
    bootstrap_servers: str,
    sessions: RevokedSessions,
    api_keys: ApiKeyCache,
    name: str | None = None,
) -> EventConsumer:
    async def session_revoked(_: None, event: SessionRevoked, __: Envelope) -> None:
        sessions.add(event.session_id, event.revoked_at)

    async def api_key_revoked(_: None, event: ApiKeyRevoked, __: Envelope) -> None:
        api_keys.drop(str(event.key_id))

    return EventConsumer(
        name=name or consumer_name(),
        service_name=service_name,
        bootstrap_servers=bootstrap_servers,
        sessions=None,
        subscriptions=subscriptions(
            (SessionRevoked, session_revoked), (ApiKeyRevoked, api_key_revoked)
        ),
        topics=[IDENTITY_SESSION.name, IDENTITY_API_KEY.name],
        replay_since_s=sessions.keep_s,
    )
