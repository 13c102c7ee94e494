"""identity.user.created on the real broker feeds the users count served over HTTP."""

import asyncio
import contextlib
import uuid
from datetime import UTC, datetime

import pytest

from millbook_analytics.bootstrap import build_app
from millbook_analytics.config import Settings
from millbook_analytics.consumers import projections_consumer
from millbook_contracts.events import UserCreated
from millbook_platform.auth import JwksVerifier
from millbook_testing.apps import in_process
from millbook_testing.kafka import produce
from millbook_testing.tokens import TestKey
from millbook_testing.waiting import eventually

KEY = TestKey()


def token(tenant: uuid.UUID, scope: str = "analytics:read") -> str:
    return KEY.token(tid=str(tenant), scope=scope)


@pytest.fixture(scope="module")
async def client(infra):
    url = await asyncio.to_thread(infra.migrated_database, "analytics")
    settings = Settings(
        database_url=url, kafka_bootstrap_servers=infra.kafka_bootstrap, run_background=False
    )
    app = build_app(settings)
    async with in_process(app, verifier=JwksVerifier(KEY.fetch)) as http:
        # A group of its own, so it never shares partitions with a running stack's analytics.
        consumer = projections_consumer(settings, name=f"test-{uuid.uuid4().hex[:8]}")(
            app.state.sessions
        )
        task = asyncio.create_task(consumer.run())
        yield http
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def publish_user_created(infra, tenant: uuid.UUID, event_id: uuid.UUID | None = None):
    event = UserCreated(
        user_id=uuid.uuid4(),
        organization_id=tenant,
        email="a@example.com",
        first_name="A",
        last_name="B",
        roles=["viewer"],
        created_at=datetime.now(UTC),
    )
    envelope = event.envelope(tenant_id=tenant, source="/millbook/identity", event_id=event_id)
    await produce(
        infra.kafka_bootstrap,
        event.topic(),
        envelope.data,
        key=envelope.subject.encode(),
        headers=envelope.to_headers(),
    )
    return envelope


async def count(client, tenant) -> int:
    response = await client.get(
        "/v1/analytics/users/count", headers={"Authorization": f"Bearer {token(tenant)}"}
    )
    assert response.status_code == 200, response.text
    return response.json()["data"]["count"]


async def wait_for_count(client, tenant, expected: int) -> None:
    await eventually(lambda: count(client, tenant), lambda n: n == expected, what="user count")


async def test_each_user_created_event_counts_once_for_its_organization(client, infra):
    tenant, other = uuid.uuid4(), uuid.uuid4()
    first = await publish_user_created(infra, tenant)
    await publish_user_created(infra, first.tenant_id, event_id=first.id)  # redelivered
    await publish_user_created(infra, tenant)
    await publish_user_created(infra, other)
    await wait_for_count(client, tenant, 2)
    await wait_for_count(client, other, 1)


async def test_a_new_organization_counts_zero(client):
    assert await count(client, uuid.uuid4()) == 0


async def test_the_count_needs_analytics_read(client):
    response = await client.get(
        "/v1/analytics/users/count",
        headers={"Authorization": f"Bearer {token(uuid.uuid4(), scope='users:read')}"},
    )
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "PERMISSION_DENIED"
