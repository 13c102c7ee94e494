"""Sales' consumers: identity's user events keep the local users read model."""

from __future__ import annotations

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
from millbook_platform.app import ConsumerFactory, consumer_of
from millbook_platform.consumer import subscriptions
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
    return consumer_of(settings, name, USERS)


ORGANIZATIONS = subscriptions(
    (OrganizationCreated, organizations.on_organization_created),
    (OrganizationUpdated, organizations.on_organization_updated),
)


def organizations_consumer(settings: Settings, *, name: str = "organizations") -> ConsumerFactory:
    """Identity's organization events keep the tenant settings read model."""

    return consumer_of(settings, name, ORGANIZATIONS)
