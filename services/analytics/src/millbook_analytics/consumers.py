"""Analytics' consumers: each projection is fed by one consumer group."""

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from millbook_analytics.config import Settings
from millbook_analytics.users.projection import on_user_created
from millbook_contracts.events import UserCreated
from millbook_platform.app import ConsumerFactory
from millbook_platform.consumer import EventConsumer, subscriptions

PROJECTIONS = subscriptions((UserCreated, on_user_created))


def projections_consumer(settings: Settings, *, name: str = "projections") -> ConsumerFactory:
    def build(sessions: async_sessionmaker[AsyncSession]) -> EventConsumer:
        return EventConsumer(
            name=name,
            service_name=settings.service_name,
            bootstrap_servers=settings.kafka_bootstrap_servers,
            sessions=sessions,
            subscriptions=PROJECTIONS,
            topics=sorted({sub.event.topic() for sub in PROJECTIONS.values() if sub.event}),
        )

    return build
