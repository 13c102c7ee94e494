"""Organization use cases. They flush; the caller's unit of work commits."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from millbook_identity.auth import revocation
from millbook_identity.models import Organization, User
from millbook_identity.organizations import repository
from millbook_identity.organizations.domain import (
    NewOrganization,
    OrganizationStatus,
    check_new_organization,
    platform_fields_in,
    settings_problems,
)
from millbook_identity.organizations.events import organization_created, organization_updated
from millbook_identity.roles.domain import ADMIN, PLATFORM_ADMIN_SCOPE
from millbook_identity.users import service as users
from millbook_identity.users.schemas import UserCreate
from millbook_platform.auth import Principal
from millbook_platform.db import scope_to_tenant
from millbook_platform.errors import NotFound, PermissionDenied, ValidationFailed, field_error
from millbook_platform.outbox import record_event
from millbook_platform.pagination import PageMeta, PageParams


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
        plan_tier=new.plan_tier,
        sandbox_tenant_id=uuid.uuid4(),
        audit_retention_days=90,
        status=OrganizationStatus.ACTIVE.value,
    )
    repository.add(session, org)
    await session.flush()
    record_event(session, organization_created(org), tenant_id=org_id, source=source)
    user = await users.create_user(session, org_id, admin, source=source)
    return FoundedOrganization(organization=org, admin=user)


class Signup(Protocol):
    organization_name: str
    email: str
    password: str
    first_name: str
    last_name: str


async def sign_up(session: AsyncSession, body: Signup, *, source: str) -> FoundedOrganization:
    """Public signup: a new organization whose first admin is the person signing up."""
    admin = UserCreate(
        email=body.email,
        password=body.password,
        first_name=body.first_name,
        last_name=body.last_name,
        roles=[ADMIN],
    )
    return await create_organization(
        session, NewOrganization(name=body.organization_name), admin, source=source
    )


def _is_platform_admin(principal: Principal) -> bool:
    return PLATFORM_ADMIN_SCOPE in principal.scopes


async def get_visible(
    session: AsyncSession, principal: Principal, org_id: uuid.UUID
) -> Organization:
    """A platform admin sees every organization, anyone else only their own (404 otherwise)."""
    if _is_platform_admin(principal):
        org = await repository.get_in_any_tenant(session, org_id)
    elif org_id == principal.tenant_id:
        org = await repository.get(session, org_id)
    else:
        org = None
    if org is None:
        raise NotFound("No organization with this id.")
    return org


async def list_organizations(
    session: AsyncSession, page: PageParams, status: str | None
) -> tuple[Sequence[Organization], PageMeta]:
    return await repository.list_page(session, page, status)


async def editable(session: AsyncSession, principal: Principal, org_id: uuid.UUID) -> Organization:
    """The organization the caller may change: 404 if not visible to them, 403 if not its admin.

    Resolved before the request's body is read, so a stranger learns nothing of its rules.
    """
    org = await get_visible(session, principal, org_id)
    if not _is_platform_admin(principal) and ADMIN not in principal.scopes:
        raise PermissionDenied("This request needs the scope admin.")
    return org


async def update_organization(
    session: AsyncSession,
    principal: Principal,
    org: Organization,
    changes: dict[str, Any],
    *,
    source: str,
) -> Organization:
    """Apply the given settings to an `editable` organization; plan tier and retention only
    from a platform admin."""
    _refuse_nulls(changes)
    if not _is_platform_admin(principal):
        forbidden = platform_fields_in(changes)
        if forbidden:
            raise PermissionDenied(
                f"Only a platform admin changes {', '.join(forbidden)}: "
                f"this request needs the scope {PLATFORM_ADMIN_SCOPE}.",
                details=[field_error(f, f"needs {PLATFORM_ADMIN_SCOPE}") for f in forbidden],
            )
    problems = settings_problems(
        name=changes.get("name"),
        base_currency=changes.get("base_currency"),
        timezone=changes.get("timezone"),
    )
    if problems:
        raise ValidationFailed("The organization is not valid.", details=problems)
    changed = [field for field, value in changes.items() if getattr(org, field) != value]
    for field in changed:
        setattr(org, field, changes[field])
    await _flush_in_tenant(session, org)
    if changed:
        event = organization_updated(org, sorted(changed))
        record_event(session, event, tenant_id=org.id, source=source)
    return org


async def deactivate_organization(session: AsyncSession, org: Organization, *, source: str) -> None:
    """Soft delete: nobody of the organization logs in any more, its keys stop resolving."""
    if org.status == OrganizationStatus.INACTIVE:
        return
    org.status = OrganizationStatus.INACTIVE.value
    await _flush_in_tenant(session, org)
    for user in await users.active_users(session, org.id):
        await revocation.revoke_all_of_user(session, org.id, user.id, reason="admin", source=source)
    record_event(session, organization_updated(org, ["status"]), tenant_id=org.id, source=source)


async def _flush_in_tenant(session: AsyncSession, org: Organization) -> None:
    # A platform admin's request is scoped to its own tenant; the write is another's.
    await scope_to_tenant(session, org.id)
    await session.flush()


def _refuse_nulls(changes: dict[str, Any]) -> None:
    nulls = [field for field, value in changes.items() if value is None]
    if nulls:
        raise ValidationFailed(
            "A setting cannot be removed, only changed.",
            details=[field_error(field, "must not be null") for field in nulls],
        )
