"""identity.organization events on the real broker reach sales' settings."""

import asyncio
import contextlib
import uuid
from datetime import UTC, datetime

import pytest_asyncio

from millbook_contracts.events import OrganizationCreated
from millbook_sales.consumers import organizations_consumer
from millbook_testing.kafka import produce
from millbook_testing.waiting import eventually


@pytest_asyncio.fixture
async def consuming(app, settings, http):
    # A group of its own, so it never shares partitions with a running stack's sales.
    consumer = organizations_consumer(settings, name=f"test-{uuid.uuid4().hex[:8]}")(
        app.state.sessions
    )
    task = asyncio.create_task(consumer.run())
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def publish(infra, event: OrganizationCreated, tenant_id: uuid.UUID) -> None:
    envelope = event.envelope(tenant_id=tenant_id, source="/millbook/identity")
    await produce(
        infra.kafka_bootstrap,
        event.topic(),
        envelope.data,
        key=envelope.subject.encode(),
        headers=envelope.to_headers(),
    )


async def test_an_organization_created_on_kafka_sets_the_name_and_base(caller, infra, consuming):
    event = OrganizationCreated(
        organization_id=caller.tenant_id,
        name="Kafka Works Ltd",
        base_currency="GBP",
        created_at=datetime.now(UTC),
    )
    await publish(infra, event, caller.tenant_id)

    async def settings() -> dict:
        return (await caller.get("/v1/sales/settings")).json()["data"]

    seen = await eventually(
        settings, lambda s: s["organization_name"] is not None, what="organization settings"
    )
    assert (seen["organization_name"], seen["base_currency"], seen["accepted_currencies"]) == (
        "Kafka Works Ltd",
        "GBP",
        ["GBP"],
    )
    customer = await caller.created("/v1/customers", {"name": "Local"})
    assert customer["currency_code"] == "GBP"
