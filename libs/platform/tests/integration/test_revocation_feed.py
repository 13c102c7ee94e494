"""The revocation feed against the real broker: what the gateway and every service refuse.

Each test publishes identity's events as its outbox relay would and asks the process's
`Revocations` about a token every 10 ms, measuring from the start of the publication to
the first refusal. `pytest -s` prints the figures.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from aiokafka.admin import AIOKafkaAdminClient
from fastapi import APIRouter

from millbook_contracts.events import (
    ApiKeyRevoked,
    ApiKeyRotated,
    Event,
    SessionRevoked,
    UserPermissionsChanged,
)
from millbook_platform.app import ServiceSpec, create_app
from millbook_platform.auth import JwksVerifier, Principal
from millbook_platform.deps import CurrentPrincipal
from millbook_platform.errors import AppError, AuthExpired, AuthInvalid, UpstreamUnavailable
from millbook_platform.revocation_feed import revocation_feed
from millbook_platform.revocations import Revocations
from millbook_platform.settings import PlatformSettings
from millbook_stack.status import read_status
from millbook_testing.apps import in_process
from millbook_testing.infra import Infra
from millbook_testing.kafka import publish_event
from millbook_testing.tokens import TestKey
from millbook_testing.waiting import eventually

WITHIN_S = 1.0
LOAD_WITHIN_S = 30.0  # a fresh broker's first metadata and offset lookups
FIGURES: dict[str, float] = {}


@pytest.fixture(scope="module", autouse=True)
def summary() -> Iterator[None]:
    yield
    if FIGURES:
        lines = [f"  {what:<32} {seconds * 1000:7.0f} ms" for what, seconds in FIGURES.items()]
        print("\nrefused after the event was published (limit 1000 ms):\n" + "\n".join(lines))


@asynccontextmanager
async def running_feed(
    bootstrap: str, *, service: str = "test", **options: Any
) -> AsyncIterator[Revocations]:
    revocations = Revocations(**options)
    feed = revocation_feed(revocations, service_name=service, bootstrap_servers=bootstrap)
    task = asyncio.create_task(feed.run())
    try:
        yield revocations
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def state_of(revocations: Revocations) -> str:
    return revocations.state()


async def loaded(revocations: Revocations) -> None:
    await eventually(
        lambda: state_of(revocations),
        lambda state: state == "current",
        within_s=LOAD_WITHIN_S,
        what="the feed loaded",
    )


@pytest.fixture(scope="module")
async def revocations(infra: Infra) -> AsyncIterator[Revocations]:
    async with running_feed(infra.kafka_bootstrap) as known:
        await loaded(known)
        yield known


async def publish(infra: Infra, event: Event) -> float:
    """Publish as identity does; returns when it began to (wall clock), so the figures
    include the producer's own start and acknowledgement: an upper bound."""
    began = time.time()
    await publish_event(infra.kafka_bootstrap, event, tenant_id=uuid.uuid4())
    return began


async def refused(revocations: Revocations, principal: Principal, *, since: float, what: str):
    """The first refusal of `principal`, asked every 10 ms; fails after WITHIN_S."""

    async def ask() -> AppError | None:
        try:
            revocations.check(principal)
        except AppError as error:
            return error
        return None

    error = await eventually(
        ask, lambda e: e is not None, within_s=WITHIN_S, every_s=0.01, what=what
    )
    after = time.time() - since
    FIGURES[what] = after
    print(f"\n{what}: refused {after * 1000:.0f} ms after it was published")
    assert after <= WITHIN_S
    assert error is not None
    return error


def user(*, session_id: uuid.UUID | None = None, subject: uuid.UUID | None = None, **claims: Any):
    return Principal(
        subject or uuid.uuid4(),
        uuid.uuid4(),
        frozenset({"admin"}),
        session_id=session_id or uuid.uuid4(),
        claims=claims,
    )


def key_token(key_id: uuid.UUID, prefix: str) -> Principal:
    claims = {"key_prefix": prefix}
    return Principal(key_id, uuid.uuid4(), frozenset(), kind="api_key", claims=claims)


def session_revoked(session_id: uuid.UUID, *, ago: timedelta = timedelta()) -> SessionRevoked:
    return SessionRevoked(
        session_id=session_id,
        user_id=uuid.uuid4(),
        organization_id=uuid.uuid4(),
        revoked_at=datetime.now(UTC) - ago,
        reason="logout",
    )


async def test_a_logged_out_session_is_refused_within_a_second(infra, revocations) -> None:
    ended, other = uuid.uuid4(), uuid.uuid4()
    revocations.check(user(session_id=ended))

    since = await publish(infra, session_revoked(ended))
    error = await refused(revocations, user(session_id=ended), since=since, what="session revoked")

    assert isinstance(error, AuthInvalid)
    assert "log in again" in error.message
    revocations.check(user(session_id=other))


async def test_a_token_from_before_a_permission_change_is_refused_within_a_second(
    infra, revocations
) -> None:
    person = uuid.uuid4()
    event = UserPermissionsChanged(
        user_id=person,
        organization_id=uuid.uuid4(),
        scope_version=4,
        reason="roles_changed",
        changed_at=datetime.now(UTC),
    )

    since = await publish(infra, event)
    error = await refused(
        revocations, user(subject=person, scope_version=3), since=since, what="permissions changed"
    )

    assert isinstance(error, AuthExpired)
    revocations.check(user(subject=person, scope_version=4))  # the refreshed token


async def test_a_revoked_keys_tokens_are_refused_within_a_second(infra, revocations) -> None:
    key = uuid.uuid4()
    event = ApiKeyRevoked(key_id=key, organization_id=uuid.uuid4(), revoked_at=datetime.now(UTC))

    since = await publish(infra, event)
    token = key_token(key, "sk_live_AbCd")
    error = await refused(revocations, token, since=since, what="key revoked")

    assert isinstance(error, AuthInvalid)


async def test_a_rotated_keys_old_secret_tokens_are_refused_within_a_second(
    infra, revocations
) -> None:
    key = uuid.uuid4()
    now = datetime.now(UTC)
    event = ApiKeyRotated(
        key_id=key, organization_id=uuid.uuid4(), rotated_at=now, prefix="sk_live_NeWw"
    )

    since = await publish(infra, event)
    error = await refused(
        revocations, key_token(key, "sk_live_oLdd"), since=since, what="key rotated, grace 0"
    )

    assert isinstance(error, AuthInvalid)
    revocations.check(key_token(key, "sk_live_NeWw"))


async def test_a_starting_process_refuses_every_token_until_it_has_read_the_last_token_life(
    infra,
) -> None:
    recent, old, other = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    await publish(infra, session_revoked(recent, ago=timedelta(minutes=14)))
    await publish(infra, session_revoked(old, ago=timedelta(minutes=16)))

    async with running_feed(infra.kafka_bootstrap) as starting:
        with pytest.raises(UpstreamUnavailable) as loading:
            starting.check(user(session_id=other))
        assert loading.value.headers["Retry-After"] == "1"
        assert not starting.ready()

        await loaded(starting)

        with pytest.raises(AuthInvalid):
            starting.check(user(session_id=recent))
        starting.check(user(session_id=old))  # its tokens have all expired
        starting.check(user(session_id=other))
        assert starting.ready()


async def test_every_process_of_a_service_sees_every_revocation(infra) -> None:
    service = f"svc{uuid.uuid4().hex[:6]}"
    async with (
        running_feed(infra.kafka_bootstrap, service=service) as first,
        running_feed(infra.kafka_bootstrap, service=service) as second,
    ):
        await loaded(first)
        await loaded(second)
        ended = [uuid.uuid4() for _ in range(12)]  # keyed by session: spread over partitions
        for session in ended:
            await publish(infra, session_revoked(session))

        for process in (first, second):
            for session in ended:
                await eventually(
                    lambda p=process, s=session: _refuses(p, user(session_id=s)),
                    within_s=WITHIN_S,
                    what="every revocation in every process",
                )
        assert service + ".revocations" not in await consumer_groups(infra)


async def _refuses(revocations: Revocations, principal: Principal) -> bool:
    try:
        revocations.check(principal)
    except AuthInvalid:
        return True
    return False


async def consumer_groups(infra: Infra) -> list[str]:
    admin = AIOKafkaAdminClient(bootstrap_servers=infra.kafka_bootstrap)
    await admin.start()
    try:
        return [group_id for group_id, _ in await admin.list_consumer_groups()]
    finally:
        await admin.close()


async def test_a_process_that_cannot_reach_kafka_at_start_refuses_every_token() -> None:
    async with running_feed("127.0.0.1:9") as unsure:  # nothing listens there
        await asyncio.sleep(1.5)  # no event can come: time is the only thing to wait for

        with pytest.raises(UpstreamUnavailable):
            unsure.check(user())
        assert unsure.state() == "loading"


@contextlib.contextmanager
def broker_frozen(infra: Infra) -> Iterator[None]:
    """SIGSTOP the test profile's broker: connections hang, like a host gone silent."""
    status = read_status(infra.profile.status_file)
    kafka = status.process("kafka") if status else None
    if kafka is None or not kafka.pid:
        pytest.skip("the test broker is not supervised here")
    os.kill(kafka.pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.kill(kafka.pid, signal.SIGCONT)


@pytest.mark.slow
async def test_a_process_that_loses_kafka_keeps_what_it_knew_and_says_it_is_stale(infra) -> None:
    ended = uuid.uuid4()
    async with running_feed(infra.kafka_bootstrap, stale_after_s=1.0) as known:
        await loaded(known)
        since = await publish(infra, session_revoked(ended))
        await refused(known, user(session_id=ended), since=since, what="before the outage")

        with broker_frozen(infra):
            await eventually(
                lambda: state_of(known), lambda s: s == "stale", within_s=5, what="stale"
            )
            assert not known.ready()
            known.check(user())  # served with the last known state
            with pytest.raises(AuthInvalid):
                known.check(user(session_id=ended))

        await eventually(
            lambda: state_of(known), lambda s: s == "current", within_s=30, what="current"
        )


router = APIRouter()


@router.get("/whoami")
async def whoami(principal: CurrentPrincipal) -> dict[str, str]:
    return {"actor": principal.actor}


@router.post("/notes", status_code=201)
async def add_note(principal: CurrentPrincipal) -> dict[str, dict[str, str]]:
    return {"data": {"id": str(uuid.uuid4())}}


async def test_a_service_built_by_the_app_factory_refuses_a_revoked_session_even_a_replay(
    infra, platform_db
) -> None:
    settings = PlatformSettings(
        service_name=f"svc{uuid.uuid4().hex[:6]}",
        database_url=platform_db.url,
        kafka_bootstrap_servers=infra.kafka_bootstrap,
        run_background=True,
    )
    app = create_app(settings, ServiceSpec(title="t", description="t", routers=[router]))
    signer, ended = TestKey(), uuid.uuid4()
    headers = {"Authorization": f"Bearer {signer.token(sid=str(ended))}"}
    async with in_process(app, verifier=JwksVerifier(signer.fetch)) as service:
        loading = await service.get("/whoami", headers=headers)
        await loaded(app.state.revocations)
        accepted = await service.get("/whoami", headers=headers)
        retried = {**headers, "Idempotency-Key": "note-1"}
        noted = await service.post("/notes", json={}, headers=retried)

        since = await publish(infra, session_revoked(ended))
        refusal = await eventually(
            lambda: service.get("/whoami", headers=headers),
            lambda r: r.status_code != 200,
            within_s=WITHIN_S,
            what="the service refuses the ended session",
        )
        after = FIGURES["service app: session revoked"] = time.time() - since
        ready = await service.get("/health/ready")
        replay = await service.post("/notes", json={}, headers=retried)

    assert loading.status_code == 503, loading.text
    assert loading.json()["error"]["code"] == "UPSTREAM_UNAVAILABLE"
    assert loading.headers["retry-after"] == "1"
    assert accepted.status_code == 200, accepted.text
    assert_refused(refusal, 401, "AUTH_INVALID")
    assert after <= WITHIN_S
    assert noted.status_code == 201, noted.text
    assert_refused(replay, 401, "AUTH_INVALID")  # a stored answer is no way around it
    assert ready.json()["revocations"] == "current"


def assert_refused(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code
