"""The contract events an organization change becomes."""

from __future__ import annotations

from millbook_contracts.events import OrganizationCreated
from millbook_identity.models import Organization


def organization_created(org: Organization) -> OrganizationCreated:
    return OrganizationCreated(
        organization_id=org.id,
        name=org.name,
        base_currency=org.base_currency,
        created_at=org.created_at,
    )
