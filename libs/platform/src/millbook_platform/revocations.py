"""Credentials identity stopped before their time, known to every process that takes tokens.

An access token is valid until it expires, but identity stops some earlier and says so
in events: `identity.session.revoked` ends a session (logout, a password change or
reset, an email change, a deactivated user, a reused refresh token);
`identity.user.permissions_changed` outdates the user's tokens issued before their
scopes changed (refresh them); `identity.api_key.revoked` stops every token of a key,
and `identity.api_key.rotated` those resolved from its previous secret once that
secret's grace is over. The gateway and every service keep these facts in memory
(`Revocations`, fed by `millbook_platform.revocation_feed`) and refuse such a token on
every request, so a service reached directly, not through the gateway, refuses exactly
what the gateway refuses.

A fact is kept for as long as a token issued before it could still be valid: one
access-token lifetime after it happened. A key's token never outlives its secret
(identity caps its `exp` at the secret's end), so a rotation too needs keeping only
that long.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, Protocol, TypeVar

from millbook_contracts.events import (
    ApiKeyRevoked,
    ApiKeyRotated,
    SessionRevoked,
    UserPermissionsChanged,
)
from millbook_platform.auth import API_KEY_KIND, USER_KIND, Principal
from millbook_platform.errors import AuthExpired, AuthInvalid, UpstreamUnavailable

Clock = Callable[[], float]

# Identity's longest access-token lifetime: an older revocation concerns no valid token.
ACCESS_TOKEN_LIFETIME_S = 15 * 60.0
SWEEP_EVERY_S = 60.0
# How far behind the feed may fall before the process reports it (readiness, metrics).
STALE_AFTER_S = 15.0
LOADING_RETRY_AFTER_S = 1

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
# The words identity uses for every refused secret: nothing tells which check failed.
INVALID_KEY = "The API key is not valid."
LOADING = "Revoked credentials are still being loaded; try again in a moment."


def ended_session_message(reason: str | None) -> str:
    return ENDED_SESSION_MESSAGES.get(reason or "", ENDED_SESSION)


K = TypeVar("K")
V = TypeVar("V")


class Recent(Generic[K, V]):
    """Facts by key, each kept for `keep_s` after the instant it happened (epoch seconds)."""

    def __init__(self, *, keep_s: float, clock: Clock) -> None:
        self.keep_s = keep_s
        self._clock = clock
        self._facts: dict[K, tuple[V, float]] = {}
        self._swept_at = clock()

    def put(self, key: K, value: V, at: float) -> None:
        now = self._clock()
        self._sweep(now)
        if now - at < self.keep_s:
            self._facts[key] = (value, at)

    def get(self, key: K) -> V | None:
        found = self._facts.get(key)
        if found is None or self._clock() - found[1] >= self.keep_s:
            return None
        return found[0]

    def __len__(self) -> int:
        return len(self._facts)

    def _sweep(self, now: float) -> None:
        if now - self._swept_at < SWEEP_EVERY_S:
            return
        self._swept_at = now
        self._facts = {k: f for k, f in self._facts.items() if now - f[1] < self.keep_s}


class RevokedSessions:
    """Session ids whose tokens are refused, each with why it ended."""

    def __init__(self, *, keep_s: float, clock: Clock = time.time) -> None:
        self.keep_s = keep_s
        self._reasons: Recent[uuid.UUID, str] = Recent(keep_s=keep_s, clock=clock)

    def add(self, session_id: uuid.UUID, revoked_at: datetime, reason: str = "") -> None:
        self._reasons.put(session_id, reason, revoked_at.timestamp())

    def reason(self, session_id: uuid.UUID) -> str | None:
        """Why the session ended, if it did (and could still have valid tokens)."""
        return self._reasons.get(session_id)

    def __contains__(self, session_id: object) -> bool:
        return isinstance(session_id, uuid.UUID) and self.reason(session_id) is not None

    def __len__(self) -> int:
        return len(self._reasons)


class ScopeVersions:
    """Each user's latest scope version; a token issued at a lower one must be refreshed.

    Versions only rise, so a replayed or late event never lowers what is known.
    """

    def __init__(self, *, keep_s: float, clock: Clock = time.time) -> None:
        self.keep_s = keep_s
        self._latest: Recent[uuid.UUID, int] = Recent(keep_s=keep_s, clock=clock)

    def add(self, user_id: uuid.UUID, version: int, changed_at: datetime) -> None:
        known = self._latest.get(user_id)
        if known is None or version > known:
            self._latest.put(user_id, version, changed_at.timestamp())

    def outdated(self, user_id: uuid.UUID, token_version: int) -> bool:
        """Whether a token issued at `token_version` predates the user's last scope change."""
        known = self._latest.get(user_id)
        return known is not None and token_version < known

    def __len__(self) -> int:
        return len(self._latest)


@dataclass(frozen=True)
class Rotation:
    """A key's latest rotation: tokens of any other secret than `prefix`'s stop at `stops_at`."""

    prefix: str
    rotated_at: float
    stops_at: float


class StoppedKeys:
    """API keys revoked, and keys whose previous secrets a rotation stops."""

    def __init__(self, *, keep_s: float, clock: Clock = time.time) -> None:
        self._clock = clock
        self._revoked: Recent[uuid.UUID, bool] = Recent(keep_s=keep_s, clock=clock)
        self._rotations: Recent[uuid.UUID, Rotation] = Recent(keep_s=keep_s, clock=clock)

    def revoke(self, key_id: uuid.UUID, revoked_at: datetime) -> None:
        self._revoked.put(key_id, True, revoked_at.timestamp())

    def rotate(
        self, key_id: uuid.UUID, prefix: str, rotated_at: datetime, stops_at: datetime | None
    ) -> None:
        """`stops_at` None: the previous secret stopped at once (a rotation without grace)."""
        known = self._rotations.get(key_id)
        at = rotated_at.timestamp()
        if known is None or at > known.rotated_at:
            until = stops_at.timestamp() if stops_at is not None else at
            self._rotations.put(key_id, Rotation(prefix, at, until), at)

    def stopped(self, key_id: uuid.UUID, prefix: str | None) -> bool:
        """Whether a token of `key_id`, resolved from the secret with `prefix`, is refused now.

        A token without a prefix was issued before tokens named their secret, so before
        any rotation this process knows of: it is of a previous secret.
        """
        if self._revoked.get(key_id):
            return True
        rotation = self._rotations.get(key_id)
        if rotation is None or prefix == rotation.prefix:
            return False
        return self._clock() >= rotation.stops_at


class FeedProgress(Protocol):
    """How far the feed has read: every revocation published before `current_as_of` (epoch
    seconds) is known; None until it has read all those of the last token lifetime."""

    @property
    def current_as_of(self) -> float | None: ...


class Revocations:
    """What identity has stopped, as far as this process knows; checked on every request."""

    def __init__(
        self,
        *,
        keep_s: float = ACCESS_TOKEN_LIFETIME_S,
        stale_after_s: float = STALE_AFTER_S,
        clock: Clock = time.time,
    ) -> None:
        self.keep_s = keep_s
        self.stale_after_s = stale_after_s
        self._clock = clock
        self.sessions = RevokedSessions(keep_s=keep_s, clock=clock)
        self.scope_versions = ScopeVersions(keep_s=keep_s, clock=clock)
        self.keys = StoppedKeys(keep_s=keep_s, clock=clock)
        # None: nothing feeds it (tests, scripts); it knows only what it is told.
        self.feed: FeedProgress | None = None

    def check(self, principal: Principal) -> None:
        """Refuse a token whose credential identity stopped (401), or 503 while loading.

        Until the feed has read the last token lifetime's revocations this process cannot
        tell a revoked token from a valid one, so it refuses every token (503 with
        `Retry-After`) rather than accept one it should not. Once loaded it keeps the last
        known state while Kafka is unreachable: see `revocation_feed`.
        """
        if self.state() == "loading":
            raise UpstreamUnavailable(LOADING, headers={"Retry-After": str(LOADING_RETRY_AFTER_S)})
        if principal.session_id is not None:
            reason = self.sessions.reason(principal.session_id)
            if reason is not None:
                raise AuthInvalid(ended_session_message(reason))
        if principal.kind == USER_KIND and self.scope_versions.outdated(
            principal.subject_id, principal.scope_version
        ):
            raise AuthExpired(OUTDATED_SCOPES)
        if principal.kind == API_KEY_KIND and self.keys.stopped(
            principal.subject_id, principal.key_prefix
        ):
            raise AuthInvalid(INVALID_KEY)

    def state(self) -> str:
        """`off` (no feed), `loading`, `current`, or `stale` (behind by over `stale_after_s`)."""
        if self.feed is None:
            return "off"
        current_as_of = self.feed.current_as_of
        if current_as_of is None:
            return "loading"
        return "stale" if self._clock() - current_as_of > self.stale_after_s else "current"

    def ready(self) -> bool:
        """Not while loading (every token is refused) nor stale (a revoked one may pass)."""
        return self.state() in ("off", "current")

    def session_revoked(self, event: SessionRevoked) -> None:
        self.sessions.add(event.session_id, event.revoked_at, event.reason)

    def permissions_changed(self, event: UserPermissionsChanged) -> None:
        self.scope_versions.add(event.user_id, event.scope_version, event.changed_at)

    def key_revoked(self, event: ApiKeyRevoked) -> None:
        self.keys.revoke(event.key_id, event.revoked_at)

    def key_rotated(self, event: ApiKeyRotated) -> None:
        # An event from before rotations named the new secret cannot tell the secrets
        # apart; the gateway, which resolves the secret itself, still stops the old one.
        if event.prefix is not None:
            self.keys.rotate(
                event.key_id, event.prefix, event.rotated_at, event.previous_secret_expires_at
            )
