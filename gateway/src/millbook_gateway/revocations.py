"""Revocation within a second: identity's events reach every gateway through Kafka.

`identity.session.revoked` ends a session (logout, a password change or reset, a
deactivated user): its access tokens are refused from then on, not at expiry.
`identity.user.permissions_changed` outdates a user's tokens issued before their
scopes changed: they are refused until the client refreshes. `identity.api_key.revoked`
and `identity.api_key.rotated` drop the key's cached resolutions, so the next call
asks identity again (and a revoked or rotated-out secret is refused).

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
from millbook_contracts.events import (
    ApiKeyRevoked,
    ApiKeyRotated,
    SessionRevoked,
    UserPermissionsChanged,
)
from millbook_contracts.topics import IDENTITY_API_KEY, IDENTITY_SESSION, IDENTITY_USER
from millbook_gateway.api_keys import ApiKeyCache
from millbook_platform.consumer import EventConsumer, subscriptions

Clock = Callable[[], float]
SWEEP_EVERY_S = 60.0


# What a client whose session ended must do, by SessionRevoked's reason.
ENDED_SESSION_MESSAGES = {
    "logout": "The session has ended (logged out); log in again.",
    "password_changed": "The password was changed; log in again with the new one.",
    "password_reset": "The password was reset; log in again with the new one.",
    "user_deactivated": "This user has been deactivated; ask an admin of the organization.",
    "refresh_token_reuse": "The session was ended because its refresh token was reused; "
    "log in again.",
}
ENDED_SESSION = "The session has ended; log in again."
OUTDATED_SCOPES = "Your permissions changed; refresh your token to get the new ones."


def ended_session_message(reason: str | None) -> str:
    return ENDED_SESSION_MESSAGES.get(reason or "", ENDED_SESSION)


class RevokedSessions:
    """Session ids whose tokens are refused, each kept while such a token could still be valid."""

    def __init__(self, *, keep_s: float, clock: Clock = time.time) -> None:
        self.keep_s = keep_s
        self._clock = clock
        self._revoked: dict[uuid.UUID, tuple[float, str]] = {}
        self._swept_at = clock()

    def add(self, session_id: uuid.UUID, revoked_at: datetime, reason: str = "") -> None:
        now = self._clock()
        self._sweep(now)
        at = revoked_at.timestamp()
        if now - at < self.keep_s:
            self._revoked[session_id] = (at, reason)

    def reason(self, session_id: uuid.UUID) -> str | None:
        """Why the session ended, if it did (and could still have valid tokens)."""
        found = self._revoked.get(session_id)
        if found is None or self._clock() - found[0] >= self.keep_s:
            return None
        return found[1]

    def __contains__(self, session_id: object) -> bool:
        return isinstance(session_id, uuid.UUID) and self.reason(session_id) is not None

    def __len__(self) -> int:
        return len(self._revoked)

    def _sweep(self, now: float) -> None:
        if now - self._swept_at < SWEEP_EVERY_S:
            return
        self._swept_at = now
        self._revoked = {s: v for s, v in self._revoked.items() if now - v[0] < self.keep_s}


class ScopeVersions:
    """Each user's latest scope version, kept while a token issued before it could be valid.

    A user token carries the scope version it was issued at; one below the user's
    latest was issued before their scopes changed. Versions only rise, so a replayed
    or late event never lowers what is known.
    """

    def __init__(self, *, keep_s: float, clock: Clock = time.time) -> None:
        self.keep_s = keep_s
        self._clock = clock
        self._latest: dict[uuid.UUID, tuple[int, float]] = {}
        self._swept_at = clock()

    def add(self, user_id: uuid.UUID, version: int, changed_at: datetime) -> None:
        now = self._clock()
        self._sweep(now)
        at = changed_at.timestamp()
        known = self._latest.get(user_id)
        if now - at < self.keep_s and (known is None or version > known[0]):
            self._latest[user_id] = (version, at)

    def outdated(self, user_id: uuid.UUID, token_version: int) -> bool:
        """Whether a token issued at `token_version` predates the user's last scope change."""
        known = self._latest.get(user_id)
        if known is None or self._clock() - known[1] >= self.keep_s:
            return False
        return token_version < known[0]

    def __len__(self) -> int:
        return len(self._latest)

    def _sweep(self, now: float) -> None:
        if now - self._swept_at < SWEEP_EVERY_S:
            return
        self._swept_at = now
        self._latest = {u: v for u, v in self._latest.items() if now - v[1] < self.keep_s}


def consumer_name() -> str:
    """Names this gateway's client in the broker's logs and metrics."""
    return f"revocations-{socket.gethostname()}-{os.getpid()}"


def revocation_consumer(
    *,
    service_name: str,
    bootstrap_servers: str,
    sessions: RevokedSessions,
    scope_versions: ScopeVersions,
    api_keys: ApiKeyCache,
    name: str | None = None,
) -> EventConsumer:
    async def session_revoked(_: None, event: SessionRevoked, __: Envelope) -> None:
        sessions.add(event.session_id, event.revoked_at, event.reason)

    async def permissions_changed(_: None, event: UserPermissionsChanged, __: Envelope) -> None:
        scope_versions.add(event.user_id, event.scope_version, event.changed_at)

    async def api_key_revoked(_: None, event: ApiKeyRevoked, __: Envelope) -> None:
        api_keys.drop(str(event.key_id))

    async def api_key_rotated(_: None, event: ApiKeyRotated, __: Envelope) -> None:
        # The old secret's cached resolution does not know about the rotation: ask again.
        api_keys.drop(str(event.key_id))

    return EventConsumer(
        name=name or consumer_name(),
        service_name=service_name,
        bootstrap_servers=bootstrap_servers,
        sessions=None,
        subscriptions=subscriptions(
            (SessionRevoked, session_revoked),
            (UserPermissionsChanged, permissions_changed),
            (ApiKeyRevoked, api_key_revoked),
            (ApiKeyRotated, api_key_rotated),
        ),
        topics=[IDENTITY_SESSION.name, IDENTITY_USER.name, IDENTITY_API_KEY.name],
        replay_since_s=sessions.keep_s,
    )
