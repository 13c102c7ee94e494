"""The audit trail's consumer: every topic of every service, one entry per event."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from millbook_contracts.topics import ALL_TOPICS
from millbook_identity.audit import service
from millbook_platform.app import ConsumerFactory
from millbook_platform.consumer import EventConsumer, subscriptions

CONSUMER_NAME = "audit"


def audit_consumer(bootstrap_servers: str, service_name: str) -> ConsumerFactory:
    def build(sessions: async_sessionmaker[AsyncSession]) -> EventConsumer:
        return EventConsumer(
            name=CONSUMER_NAME,
            service_name=service_name,
            bootstrap_servers=bootstrap_servers,
            sessions=sessions,
            subscriptions=subscriptions(every_other=service.record_event),
            topics=[topic.name for topic in ALL_TOPICS],
        )

    return build
