"""Organization use cases. They flush; the caller's unit of work commits."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from millbook_identity.models import Organization, User
from millbook_identity.organizations import repository
from millbook_identity.organizations.domain import NewOrganization, check_new_organization
from millbook_identity.organizations.events import organization_created
from millbook_identity.users import service as users
from millbook_identity.users.schemas import UserCreate
from millbook_platform.db import scope_to_tenant
from millbook_platform.outbox import record_event


@dataclass(frozen=True)
class FoundedOrganization:
    organization: Organization
    admin: User


async def create_organization(
    session: AsyncSession, new: NewOrganization, admin: UserCreate, *, source: str
) -> FoundedOrganization:
    """Create a tenant and its first user; OrganizationCreated and UserCreated go out with them.

    Binds the caller's transaction to the new tenant, which row-level security
    requires for the inserts.
    """
    check_new_organization(new)
    org_id = uuid.uuid4()
    await scope_to_tenant(session, org_id)
    org = Organization(
        id=org_id,
        tenant_id=org_id,
        name=new.name.strip(),
        base_currency=new.base_currency,
        timezone=new.timezone,
    )
    repository.add(session, org)
    await session.flush()
    record_event(session, organization_created(org), tenant_id=org_id, source=source)
    user = await users.create_user(session, org_id, admin, source=source)
    return FoundedOrganization(organization=org, admin=user)
