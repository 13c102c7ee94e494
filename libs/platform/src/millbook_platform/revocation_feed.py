"""Identity's revocation events into a process's `Revocations`, within a second.

Every process that takes access tokens (the gateway and every service) runs its own
feed. It must see every revocation, so it joins no consumer group (a group would split
the partitions between the processes of a service): it is assigned every partition of
identity's session, user and API-key topics and commits nothing.

At start it reads every partition from one access-token lifetime ago, so a restarted
process learns the revocations of tokens that are still valid; until it has read them
all, `Revocations.check` refuses every token with 503 and `Retry-After` (readiness says
`loading`): a process that cannot tell a revoked token from a valid one does not guess.

While Kafka is unreachable the process keeps serving with what it last knew. Failing
closed after a bound would turn a broker outage into an outage of every API, where the
design keeps services taking writes through one (the outbox holds their events); and
in that outage identity's own revocation events wait in its outbox too, so refusing
every token would protect against almost nothing: only against a revocation published
while this one process alone cannot reach the broker. Falling behind is visible
instead: `/health/ready` says `stale` once the feed is 15 s behind, and the gauge
`millbook_consumer_current_as_of_timestamp_seconds{consumer="revocations"}` says
since when (the `RevocationsBehind` alert). Tokens still expire (15 minutes at most),
and their signatures are always checked.
"""

from __future__ import annotations

from collections.abc import Callable

from millbook_contracts.envelope import Envelope
from millbook_contracts.events import (
    ApiKeyRevoked,
    ApiKeyRotated,
    SessionRevoked,
    UserPermissionsChanged,
)
from millbook_contracts.topics import IDENTITY_API_KEY, IDENTITY_SESSION, IDENTITY_USER
from millbook_platform.consumer import EventConsumer, subscriptions
from millbook_platform.revocations import Revocations

FEED_NAME = "revocations"

# Told the id of a key that was revoked or rotated (the gateway forgets its cached resolutions).
KeyChanged = Callable[[str], None]


def revocation_feed(
    revocations: Revocations,
    *,
    service_name: str,
    bootstrap_servers: str,
    on_key_changed: KeyChanged | None = None,
) -> EventConsumer:
    """The consumer that keeps `revocations` current; run it beside the HTTP app."""

    def key_changed(key_id: object) -> None:
        if on_key_changed is not None:
            on_key_changed(str(key_id))

    async def session_revoked(_: None, event: SessionRevoked, __: Envelope) -> None:
        revocations.session_revoked(event)

    async def permissions_changed(_: None, event: UserPermissionsChanged, __: Envelope) -> None:
        revocations.permissions_changed(event)

    async def key_revoked(_: None, event: ApiKeyRevoked, __: Envelope) -> None:
        revocations.key_revoked(event)
        key_changed(event.key_id)

    async def key_rotated(_: None, event: ApiKeyRotated, __: Envelope) -> None:
        revocations.key_rotated(event)
        key_changed(event.key_id)

    feed = EventConsumer(
        name=FEED_NAME,
        service_name=service_name,
        bootstrap_servers=bootstrap_servers,
        sessions=None,
        subscriptions=subscriptions(
            (SessionRevoked, session_revoked),
            (UserPermissionsChanged, permissions_changed),
            (ApiKeyRevoked, key_revoked),
            (ApiKeyRotated, key_rotated),
        ),
        topics=[IDENTITY_SESSION.name, IDENTITY_USER.name, IDENTITY_API_KEY.name],
        replay_since_s=revocations.keep_s,
    )
    revocations.feed = feed
    return feed
