"""Billing's consumer of identity's organization events (tenants read model and chart)."""

from __future__ import annotations

from millbook_billing.config import Settings
from millbook_billing.tenants import projection
from millbook_contracts.events import OrganizationCreated, OrganizationUpdated
from millbook_platform.app import ConsumerFactory, consumer_of
from millbook_platform.consumer import subscriptions

ORGANIZATIONS = subscriptions(
    (OrganizationCreated, projection.on_organization_created),
    (OrganizationUpdated, projection.on_organization_updated),
)


def organizations_consumer(settings: Settings, *, name: str = "organizations") -> ConsumerFactory:
    return consumer_of(settings, name, ORGANIZATIONS)
