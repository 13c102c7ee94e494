"""The consumer keeping the customers read model from `sales.customer.*`."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from millbook_billing.config import Settings
from millbook_billing.customers import projection
from millbook_contracts.sales import (
    CustomerArchived,
    CustomerCreated,
    CustomerDeleted,
    CustomerUpdated,
)
from millbook_platform.app import ConsumerFactory
from millbook_platform.consumer import EventConsumer, subscriptions

CUSTOMERS = subscriptions(
    (CustomerCreated, projection.on_customer_changed),
    (CustomerUpdated, projection.on_customer_changed),
    (CustomerArchived, projection.on_customer_changed),
    (CustomerDeleted, projection.on_customer_deleted),
)


def customers_consumer(settings: Settings, *, name: str = "customers") -> ConsumerFactory:
    def build(sessions: async_sessionmaker[AsyncSession]) -> EventConsumer:
        return EventConsumer(
            name=name,
            service_name=settings.service_name,
            bootstrap_servers=settings.kafka_bootstrap_servers,
            sessions=sessions,
            subscriptions=CUSTOMERS,
            topics=sorted({sub.event.topic() for sub in CUSTOMERS.values() if sub.event}),
        )

    return build
