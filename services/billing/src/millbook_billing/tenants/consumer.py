"""Billing's consumer of identity's organization events (tenants read model and chart)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from millbook_billing.config import Settings
from millbook_billing.tenants import projection
from millbook_contracts.events import OrganizationCreated, OrganizationUpdated
from millbook_platform.app import ConsumerFactory
from millbook_platform.consumer import EventConsumer, subscriptions

ORGANIZATIONS = subscriptions(
    (OrganizationCreated, projection.on_organization_created),
    (OrganizationUpdated, projection.on_organization_updated),
)


def organizations_consumer(settings: Settings, *, name: str = "organizations") -> ConsumerFactory:
    def build(sessions: async_sessionmaker[AsyncSession]) -> EventConsumer:
        return EventConsumer(
            name=name,
            service_name=settings.service_name,
            bootstrap_servers=settings.kafka_bootstrap_servers,
            sessions=sessions,
            subscriptions=ORGANIZATIONS,
            topics=sorted({sub.event.topic() for sub in ORGANIZATIONS.values() if sub.event}),
        )

    return build
