"""Sales' consumers: identity's user events keep the local users read model."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from millbook_contracts.events import (
    OrganizationCreated,
    OrganizationUpdated,
    RoleChanged,
    RoleUpdated,
    UserCreated,
    UserDeactivated,
    UserReactivated,
    UserUpdated,
)
from millbook_platform.app import ConsumerFactory
from millbook_platform.consumer import EventConsumer, subscriptions
from millbook_sales.config import Settings
from millbook_sales.tenants import projection as organizations
from millbook_sales.users import projection

USERS = subscriptions(
    (UserCreated, projection.on_user_created),
    (UserUpdated, projection.on_user_updated),
    (UserDeactivated, projection.on_user_deactivated),
    (RoleChanged, projection.on_role_changed),
    (UserReactivated, projection.on_user_reactivated),
    (RoleUpdated, projection.on_role_updated),
)


def users_consumer(settings: Settings, *, name: str = "users") -> ConsumerFactory:
    def build(sessions: async_sessionmaker[AsyncSession]) -> EventConsumer:
        return EventConsumer(
            name=name,
            service_name=settings.service_name,
            bootstrap_servers=settings.kafka_bootstrap_servers,
            sessions=sessions,
            subscriptions=USERS,
            topics=sorted({sub.event.topic() for sub in USERS.values() if sub.event}),
        )

    return build


ORGANIZATIONS = subscriptions(
    (OrganizationCreated, organizations.on_organization_created),
    (OrganizationUpdated, organizations.on_organization_updated),
)


def organizations_consumer(settings: Settings, *, name: str = "organizations") -> ConsumerFactory:
    """Identity's organization events keep the tenant settings read model."""

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
