"""What identity stopped, as every process keeps it: with clocks the tests move by hand.

The feed that fills it from Kafka is tested in tests/integration/test_revocation_feed.py.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from millbook_contracts.events import (
    ApiKeyRevoked,
    ApiKeyRotated,
    SessionRevoked,
    UserPermissionsChanged,
)
from millbook_platform.auth import Principal
from millbook_platform.errors import AuthExpired, AuthInvalid, UpstreamUnavailable
from millbook_platform.revocations import (
    ENDED_SESSION,
    Revocations,
    RevokedSessions,
    ScopeVersions,
    StoppedKeys,
    ended_session_message,
)


class Clock:
    def __init__(self, now: float = 1_767_261_600.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def at(self, seconds: float = 0.0) -> datetime:
        return datetime.fromtimestamp(self.now + seconds, UTC)


@dataclass
class Feed:
    current_as_of: float | None = None


def user(session_id: uuid.UUID | None = None, **claims: Any) -> Principal:
    return Principal(
        uuid.uuid4(),
        uuid.uuid4(),
        frozenset({"admin"}),
        session_id=session_id or uuid.uuid4(),
        claims=claims,
    )


def key_token(key_id: uuid.UUID, prefix: str | None) -> Principal:
    claims = {"key_prefix": prefix} if prefix is not None else {}
    return Principal(key_id, uuid.uuid4(), frozenset(), kind="api_key", claims=claims)


def fed(clock: Clock) -> Revocations:
    """Revocations whose feed has read everything up to now."""
    revocations = Revocations(keep_s=900, clock=clock)
    revocations.feed = Feed(current_as_of=clock.now)
    return revocations


def test_a_revoked_session_is_refused_until_its_tokens_would_have_expired() -> None:
    clock = Clock()
    revoked = RevokedSessions(keep_s=900, clock=clock)
    session, other = uuid.uuid4(), uuid.uuid4()
    revoked.add(session, datetime.fromtimestamp(clock.now, UTC))

    assert session in revoked
    assert other not in revoked
    clock.now += 899
    assert session in revoked
    clock.now += 1
    assert session not in revoked


def test_a_revocation_older_than_any_live_token_is_not_kept() -> None:
    clock = Clock()
    revoked = RevokedSessions(keep_s=900, clock=clock)
    long_ago = datetime.fromtimestamp(clock.now, UTC) - timedelta(minutes=16)

    revoked.add(uuid.uuid4(), long_ago)

    assert len(revoked) == 0


def test_expired_revocations_are_swept() -> None:
    clock = Clock()
    revoked = RevokedSessions(keep_s=900, clock=clock)
    for _ in range(3):
        revoked.add(uuid.uuid4(), datetime.fromtimestamp(clock.now, UTC))

    clock.now += 901
    revoked.add(uuid.uuid4(), datetime.fromtimestamp(clock.now, UTC))

    assert len(revoked) == 1


def test_a_revoked_session_remembers_why_it_ended() -> None:
    clock = Clock()
    revoked = RevokedSessions(keep_s=900, clock=clock)
    session = uuid.uuid4()
    revoked.add(session, datetime.fromtimestamp(clock.now, UTC), "password_changed")

    assert revoked.reason(session) == "password_changed"
    assert revoked.reason(uuid.uuid4()) is None
    clock.now += 900
    assert revoked.reason(session) is None


def test_each_ended_session_tells_the_client_what_to_do() -> None:
    assert "log in again" in ended_session_message("logout")
    assert "password was changed" in ended_session_message("password_changed")
    assert "password was reset" in ended_session_message("password_reset")
    assert "deactivated" in ended_session_message("user_deactivated")
    assert ended_session_message("something_new") == ENDED_SESSION
    assert ended_session_message(None) == ENDED_SESSION


def test_a_token_issued_before_the_users_last_scope_change_is_outdated() -> None:
    clock = Clock()
    versions = ScopeVersions(keep_s=900, clock=clock)
    user, other = uuid.uuid4(), uuid.uuid4()
    versions.add(user, 3, datetime.fromtimestamp(clock.now, UTC))

    assert versions.outdated(user, 2)
    assert versions.outdated(user, 0)  # a token from before scope versions existed
    assert not versions.outdated(user, 3)  # issued after the change, even in the same second
    assert not versions.outdated(user, 4)
    assert not versions.outdated(other, 0)


def test_a_late_or_replayed_scope_change_never_lowers_the_version() -> None:
    clock = Clock()
    versions = ScopeVersions(keep_s=900, clock=clock)
    user = uuid.uuid4()
    now = datetime.fromtimestamp(clock.now, UTC)
    versions.add(user, 5, now)
    versions.add(user, 4, now)

    assert versions.outdated(user, 4)


def test_a_scope_change_older_than_any_live_token_is_forgotten() -> None:
    clock = Clock()
    versions = ScopeVersions(keep_s=900, clock=clock)
    user, old = uuid.uuid4(), uuid.uuid4()
    versions.add(user, 2, datetime.fromtimestamp(clock.now, UTC))
    versions.add(old, 2, datetime.fromtimestamp(clock.now, UTC) - timedelta(minutes=16))

    assert not versions.outdated(old, 1)
    assert len(versions) == 1
    clock.now += 900
    assert not versions.outdated(user, 1)  # every token issued before has expired


def test_a_revoked_key_stops_every_token_of_the_key() -> None:
    clock = Clock()
    keys = StoppedKeys(keep_s=900, clock=clock)
    key, other = uuid.uuid4(), uuid.uuid4()

    keys.revoke(key, clock.at())

    assert keys.stopped(key, "sk_live_AbCd")
    assert keys.stopped(key, None)
    assert not keys.stopped(other, "sk_live_AbCd")
    clock.now += 900  # every token resolved before the revocation has expired
    assert not keys.stopped(key, "sk_live_AbCd")


def test_a_rotation_without_grace_stops_the_previous_secrets_tokens_at_once() -> None:
    clock = Clock()
    keys = StoppedKeys(keep_s=900, clock=clock)
    key = uuid.uuid4()

    keys.rotate(key, "sk_live_NeW1", clock.at(), None)

    assert keys.stopped(key, "sk_live_oLd1")
    assert keys.stopped(key, None)  # a token from before tokens named their secret
    assert not keys.stopped(key, "sk_live_NeW1")


def test_a_rotation_with_grace_stops_the_previous_secrets_tokens_when_it_ends() -> None:
    clock = Clock()
    keys = StoppedKeys(keep_s=900, clock=clock)
    key = uuid.uuid4()

    keys.rotate(key, "sk_live_NeW1", clock.at(), clock.at(60))

    clock.now += 59.999
    assert not keys.stopped(key, "sk_live_oLd1")
    clock.now += 0.001
    assert keys.stopped(key, "sk_live_oLd1")
    assert not keys.stopped(key, "sk_live_NeW1")


def test_a_late_rotation_event_never_undoes_a_later_one() -> None:
    clock = Clock()
    keys = StoppedKeys(keep_s=900, clock=clock)
    key = uuid.uuid4()
    keys.rotate(key, "sk_live_ThRd", clock.at(), None)

    keys.rotate(key, "sk_live_SeCd", clock.at(-5), None)  # replayed, older

    assert keys.stopped(key, "sk_live_SeCd")
    assert not keys.stopped(key, "sk_live_ThRd")


def test_check_refuses_an_ended_session_with_why_and_keeps_others() -> None:
    clock = Clock()
    revocations = fed(clock)
    ended = uuid.uuid4()
    revocations.session_revoked(
        SessionRevoked(
            session_id=ended,
            user_id=uuid.uuid4(),
            organization_id=uuid.uuid4(),
            revoked_at=clock.at(),
            reason="password_changed",
        )
    )

    with pytest.raises(AuthInvalid, match="password was changed"):
        revocations.check(user(ended))
    revocations.check(user())


def test_check_asks_a_token_from_before_a_scope_change_to_refresh() -> None:
    clock = Clock()
    revocations = fed(clock)
    person = user(scope_version=2)
    revocations.permissions_changed(
        UserPermissionsChanged(
            user_id=person.subject_id,
            organization_id=person.tenant_id,
            scope_version=3,
            reason="roles_changed",
            changed_at=clock.at(),
        )
    )

    with pytest.raises(AuthExpired, match="refresh"):
        revocations.check(person)
    revocations.check(user(scope_version=2))  # someone else


def test_check_refuses_the_tokens_of_a_revoked_or_rotated_out_key_like_identity() -> None:
    clock = Clock()
    revocations = fed(clock)
    revoked, rotated = uuid.uuid4(), uuid.uuid4()
    revocations.key_revoked(
        ApiKeyRevoked(key_id=revoked, organization_id=uuid.uuid4(), revoked_at=clock.at())
    )
    revocations.key_rotated(
        ApiKeyRotated(
            key_id=rotated, organization_id=uuid.uuid4(), rotated_at=clock.at(), prefix="sk_live_B"
        )
    )

    with pytest.raises(AuthInvalid, match="The API key is not valid"):
        revocations.check(key_token(revoked, "sk_live_A"))
    with pytest.raises(AuthInvalid, match="The API key is not valid"):
        revocations.check(key_token(rotated, "sk_live_A"))
    revocations.check(key_token(rotated, "sk_live_B"))


def test_a_rotation_event_from_before_prefixes_changes_nothing_here() -> None:
    clock = Clock()
    revocations = fed(clock)
    key = uuid.uuid4()

    revocations.key_rotated(
        ApiKeyRotated(key_id=key, organization_id=uuid.uuid4(), rotated_at=clock.at())
    )

    revocations.check(key_token(key, "sk_live_A"))  # the gateway, which asks identity, refuses it


def test_every_token_is_refused_with_retry_after_until_the_feed_has_loaded() -> None:
    clock = Clock()
    revocations = Revocations(keep_s=900, clock=clock)
    feed = Feed()
    revocations.feed = feed

    with pytest.raises(UpstreamUnavailable) as refused:
        revocations.check(user())
    assert refused.value.headers["Retry-After"] == "1"
    assert revocations.state() == "loading"
    assert not revocations.ready()

    feed.current_as_of = clock.now
    revocations.check(user())
    assert revocations.state() == "current"
    assert revocations.ready()


def test_a_feed_that_falls_behind_keeps_what_it_knew_and_says_it_is_stale() -> None:
    clock = Clock()
    revocations = fed(clock)
    ended = uuid.uuid4()
    revocations.session_revoked(
        SessionRevoked(
            session_id=ended,
            user_id=uuid.uuid4(),
            organization_id=uuid.uuid4(),
            revoked_at=clock.at(),
            reason="logout",
        )
    )

    clock.now += 15.001  # Kafka unreachable since
    assert revocations.state() == "stale"
    assert not revocations.ready()
    revocations.check(user())  # still served: the last known state holds
    with pytest.raises(AuthInvalid):
        revocations.check(user(ended))


def test_without_a_feed_it_knows_only_what_it_is_told_and_refuses_nothing_else() -> None:
    revocations = Revocations(keep_s=900, clock=Clock())

    revocations.check(user())

    assert revocations.state() == "off"
    assert revocations.ready()


def test_older_events_concern_no_valid_token_and_are_not_kept() -> None:
    clock = Clock()
    revocations = fed(clock)
    long_ago = clock.at(-16 * 60)
    key = uuid.uuid4()
    revocations.key_revoked(
        ApiKeyRevoked(key_id=key, organization_id=uuid.uuid4(), revoked_at=long_ago)
    )
    revocations.key_rotated(
        ApiKeyRotated(
            key_id=key, organization_id=uuid.uuid4(), rotated_at=long_ago, prefix="sk_live_B"
        )
    )

    revocations.check(key_token(key, "sk_live_A"))
