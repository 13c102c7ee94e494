"""The contract events an organization change becomes."""

from __future__ import annotations

from millbook_contracts.events import OrganizationCreated, OrganizationUpdated
from millbook_identity.models import Organization


def organization_created(org: Organization) -> OrganizationCreated:
    return OrganizationCreated(
        organization_id=org.id,
        name=org.name,
        base_currency=org.base_currency,
        created_at=org.created_at,
    )


def organization_updated(org: Organization, changed: list[str]) -> OrganizationUpdated:
    return OrganizationUpdated(
        organization_id=org.id,
        name=org.name,
        base_currency=org.base_currency,
        timezone=org.timezone,
        plan_tier=org.plan_tier,
        changed=changed,
        updated_at=org.updated_at,
    )
