"""HTTP endpoints for organizations: all for platform admins, one's own for the rest."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Response

from millbook_identity.deps import IdentitySettings, require_platform_admin
from millbook_identity.models import Organization as OrganizationRow
from millbook_identity.organizations import service
from millbook_identity.organizations.domain import NewOrganization, OrganizationStatus
from millbook_identity.organizations.schemas import (
    Organization,
    OrganizationCreate,
    OrganizationPatch,
    OrganizationReplace,
)
from millbook_identity.roles.domain import ADMIN
from millbook_identity.users.schemas import UserCreate
from millbook_platform.auth import Principal
from millbook_platform.deps import CurrentPrincipal, TenantSession
from millbook_platform.pagination import DataResponse, ListResponse, Page

router = APIRouter(prefix="/v1/organizations", tags=["organizations"])

# Authorization before validation: dependencies resolve before FastAPI validates the
# body, so these answer 403 or 404 to a caller who may not act, whatever they sent.


def _platform_admin(principal: CurrentPrincipal) -> Principal:
    require_platform_admin(principal)
    return principal


async def _editable(
    org_id: uuid.UUID, principal: CurrentPrincipal, session: TenantSession
) -> OrganizationRow:
    return await service.editable(session, principal, org_id)


PlatformAdmin = Annotated[Principal, Depends(_platform_admin)]
Editable = Annotated[OrganizationRow, Depends(_editable)]


@router.get("", response_model=ListResponse[Organization])
async def list_organizations(
    principal: PlatformAdmin,
    session: TenantSession,
    page: Page,
    status: OrganizationStatus | None = None,
) -> ListResponse[Organization]:
    """Platform admins: every organization of the installation, newest first."""
    orgs, meta = await service.list_organizations(session, page, status.value if status else None)
    return ListResponse(data=[Organization.model_validate(o) for o in orgs], meta=meta)


@router.post("", status_code=201, response_model=DataResponse[Organization])
async def create_organization(
    principal: PlatformAdmin,
    body: OrganizationCreate,
    session: TenantSession,
    settings: IdentitySettings,
) -> DataResponse[Organization]:
    """Platform admins: create an organization with its first admin."""
    new = NewOrganization(
        name=body.name,
        base_currency=body.base_currency,
        timezone=body.timezone,
        plan_tier=body.plan_tier.value,
    )
    admin = UserCreate(**body.admin.model_dump(), roles=[ADMIN])
    founded = await service.create_organization(session, new, admin, source=settings.source)
    return DataResponse(data=Organization.model_validate(founded.organization))


@router.get("/{org_id}", response_model=DataResponse[Organization])
async def get_organization(
    org_id: uuid.UUID, principal: CurrentPrincipal, session: TenantSession
) -> DataResponse[Organization]:
    """An organization: your own, or any for a platform admin."""
    org = await service.get_visible(session, principal, org_id)
    return DataResponse(data=Organization.model_validate(org))


@router.put("/{org_id}", response_model=DataResponse[Organization])
async def replace_organization(
    principal: PlatformAdmin,
    org: Editable,
    body: OrganizationReplace,
    session: TenantSession,
    settings: IdentitySettings,
) -> DataResponse[Organization]:
    """Platform admins: set every setting of an organization."""
    changes = body.model_dump(mode="json")
    org = await service.update_organization(
        session, principal, org, changes, source=settings.source
    )
    return DataResponse(data=Organization.model_validate(org))


@router.patch("/{org_id}", response_model=DataResponse[Organization])
async def update_organization(
    principal: CurrentPrincipal,
    org: Editable,
    body: OrganizationPatch,
    session: TenantSession,
    settings: IdentitySettings,
) -> DataResponse[Organization]:
    """Change the settings given; an organization's admin may change all but the plan tier."""
    changes = body.model_dump(mode="json", exclude_unset=True)
    org = await service.update_organization(
        session, principal, org, changes, source=settings.source
    )
    return DataResponse(data=Organization.model_validate(org))


@router.delete("/{org_id}", status_code=204)
async def delete_organization(
    principal: PlatformAdmin,
    org: Editable,
    session: TenantSession,
    settings: IdentitySettings,
) -> Response:
    """Platform admins: deactivate an organization; its people and keys stop working."""
    await service.deactivate_organization(session, org, source=settings.source)
    return Response(status_code=204)
