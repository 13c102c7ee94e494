"""Revocation within a second, through the real broker: a session ends, a key stops working."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from aiokafka.admin import AIOKafkaAdminClient

from millbook_contracts.events import (
    ApiKeyRevoked,
    ApiKeyRotated,
    Event,
    SessionRevoked,
    UserPermissionsChanged,
)
from millbook_gateway.main import build_app
from millbook_testing.infra import Infra
from millbook_testing.kafka import publish_event
from millbook_testing.waiting import eventually

from .conftest import Signer, Stack, serving
from .test_proxy_integration import assert_envelope

WITHIN_S = 1.0


async def publish(bootstrap: str, event: Event, tenant: uuid.UUID) -> None:
    await publish_event(bootstrap, event, tenant_id=tenant)


def session_revoked(session_id: str, *, ago: timedelta = timedelta()) -> SessionRevoked:
    return SessionRevoked(
        session_id=uuid.UUID(session_id),
        user_id=uuid.uuid4(),
        organization_id=uuid.uuid4(),
        revoked_at=datetime.now(UTC) - ago,
        reason="logout",
    )


def permissions_changed(
    user_id: str, version: int, *, ago: timedelta = timedelta()
) -> UserPermissionsChanged:
    return UserPermissionsChanged(
        user_id=uuid.UUID(user_id),
        organization_id=uuid.uuid4(),
        scope_version=version,
        reason="roles_changed",
        changed_at=datetime.now(UTC) - ago,
    )


def user_token(signer: Signer, user_id: str, version: int) -> dict[str, str]:
    return {
        "Authorization": f"Bearer {signer.token(sub=user_id, kind='user', scope_version=version)}"
    }


def session_token(signer: Signer) -> tuple[str, dict[str, str]]:
    session = str(uuid.uuid4())
    return session, {"Authorization": f"Bearer {signer.token(sid=session)}"}


@asynccontextmanager
async def kafka_gateway(stack: Stack, infra: Infra) -> AsyncIterator[httpx.AsyncClient]:
    """A gateway over the stack's services whose revocation consumer reads the real broker."""
    settings = stack.settings_with(
        run_background=True, kafka_bootstrap_servers=infra.kafka_bootstrap
    )
    async with (
        serving(build_app(settings), lifespan="on") as url,
        httpx.AsyncClient(base_url=url) as client,
    ):
        yield client


async def refused_within(
    client: httpx.AsyncClient, headers: dict[str, str], within_s: float
) -> httpx.Response:
    async def call() -> httpx.Response:
        return await client.get("/v1/invoices", headers=headers)

    return await eventually(
        call, lambda r: r.status_code == 401, within_s=within_s, what="the credential refused"
    )


@pytest.fixture(scope="module")
async def gateway(stack: Stack, infra: Infra) -> AsyncIterator[httpx.AsyncClient]:
    async with kafka_gateway(stack, infra) as client:
        # Fetching metadata and seeking takes a moment; measure only once it consumes.
        session, headers = session_token(stack.signer)
        await publish(infra.kafka_bootstrap, session_revoked(session), uuid.uuid4())
        await refused_within(client, headers, within_s=30)
        yield client


async def test_a_revoked_session_is_refused_within_a_second_and_others_still_work(
    stack: Stack, infra: Infra, gateway: httpx.AsyncClient
) -> None:
    ended, ended_headers = session_token(stack.signer)
    _, other_headers = session_token(stack.signer)
    assert (await gateway.get("/v1/invoices", headers=ended_headers)).status_code == 200

    await publish(infra.kafka_bootstrap, session_revoked(ended), uuid.uuid4())
    refused = await refused_within(gateway, ended_headers, within_s=WITHIN_S)

    error = assert_envelope(refused, 401, "AUTH_INVALID")
    assert "session has ended" in error["message"]
    assert (await gateway.get("/v1/invoices", headers=other_headers)).status_code == 200


async def test_a_revoked_key_is_asked_about_again_within_a_second_and_refused(
    stack: Stack, infra: Infra, gateway: httpx.AsyncClient
) -> None:
    key = stack.identity.issue()
    headers = {"X-API-Key": key.secret}
    assert (await gateway.get("/v1/invoices", headers=headers)).status_code == 200
    key.revoked = True  # identity's database; the gateway still holds the resolution
    assert (await gateway.get("/v1/invoices", headers=headers)).status_code == 200
    assert len(stack.identity.resolves_of(key)) == 1

    revoked = ApiKeyRevoked(
        key_id=uuid.UUID(key.key_id),
        organization_id=uuid.uuid4(),
        revoked_at=datetime.now(UTC),
    )
    await publish(infra.kafka_bootstrap, revoked, uuid.UUID(key.tenant_id))
    refused = await refused_within(gateway, headers, within_s=WITHIN_S)

    assert_envelope(refused, 401, "AUTH_INVALID")
    assert len(stack.identity.resolves_of(key)) == 2


async def test_a_restarted_gateway_learns_revocations_of_still_valid_tokens(
    stack: Stack, infra: Infra, gateway: httpx.AsyncClient
) -> None:
    recent, recent_headers = session_token(stack.signer)
    old, old_headers = session_token(stack.signer)
    await publish(infra.kafka_bootstrap, session_revoked(recent), uuid.uuid4())
    # Revoked before the longest token life: it can concern no valid token, so it is not kept.
    await publish(
        infra.kafka_bootstrap, session_revoked(old, ago=timedelta(minutes=16)), uuid.uuid4()
    )
    await refused_within(gateway, recent_headers, within_s=5)

    async with kafka_gateway(stack, infra) as restarted:
        await refused_within(restarted, recent_headers, within_s=30)
        ready = (await restarted.get("/health/ready")).json()
        assert ready["revocations"] == "current"
        assert (await restarted.get("/v1/invoices", headers=old_headers)).status_code == 200


async def test_a_token_issued_before_a_scope_change_must_be_refreshed_within_a_second(
    stack: Stack, infra: Infra, gateway: httpx.AsyncClient
) -> None:
    user = str(uuid.uuid4())
    before, after = user_token(stack.signer, user, 1), user_token(stack.signer, user, 2)
    assert (await gateway.get("/v1/invoices", headers=before)).status_code == 200

    await publish(infra.kafka_bootstrap, permissions_changed(user, 2), uuid.uuid4())
    refused = await refused_within(gateway, before, within_s=WITHIN_S)

    error = assert_envelope(refused, 401, "AUTH_EXPIRED")
    assert "permissions changed" in error["message"]
    assert "refresh" in error["message"]
    assert (await gateway.get("/v1/invoices", headers=after)).status_code == 200
    someone_else = user_token(stack.signer, str(uuid.uuid4()), 0)
    assert (await gateway.get("/v1/invoices", headers=someone_else)).status_code == 200


async def test_a_restarted_gateway_learns_scope_changes_of_still_valid_tokens(
    stack: Stack, infra: Infra, gateway: httpx.AsyncClient
) -> None:
    recent, old = str(uuid.uuid4()), str(uuid.uuid4())
    await publish(infra.kafka_bootstrap, permissions_changed(recent, 1), uuid.uuid4())
    await publish(
        infra.kafka_bootstrap, permissions_changed(old, 1, ago=timedelta(minutes=16)), uuid.uuid4()
    )
    recent_headers = user_token(stack.signer, recent, 0)
    await refused_within(gateway, recent_headers, within_s=5)

    async with kafka_gateway(stack, infra) as restarted:
        await refused_within(restarted, recent_headers, within_s=30)
        old_headers = user_token(stack.signer, old, 0)
        assert (await restarted.get("/v1/invoices", headers=old_headers)).status_code == 200


async def test_a_rotated_key_is_asked_about_again_within_a_second(
    stack: Stack, infra: Infra, gateway: httpx.AsyncClient
) -> None:
    key = stack.identity.issue()
    headers = {"X-API-Key": key.secret}
    assert (await gateway.get("/v1/invoices", headers=headers)).status_code == 200
    key.revoked = True  # identity now refuses the old secret (rotated without grace)

    rotated = ApiKeyRotated(
        key_id=uuid.UUID(key.key_id), organization_id=uuid.uuid4(), rotated_at=datetime.now(UTC)
    )
    await publish(infra.kafka_bootstrap, rotated, uuid.UUID(key.tenant_id))
    refused = await refused_within(gateway, headers, within_s=WITHIN_S)

    assert_envelope(refused, 401, "AUTH_INVALID")
    assert len(stack.identity.resolves_of(key)) == 2


async def test_gateways_join_no_consumer_group(infra: Infra, gateway: httpx.AsyncClient) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=infra.kafka_bootstrap)
    await admin.start()
    try:
        groups = [group_id for group_id, _ in await admin.list_consumer_groups()]
    finally:
        await admin.close()
    assert "gateway.revocations" not in groups
