"""HTTP endpoints for roles: built-in ones listed read-only, custom ones managed."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Response

from millbook_identity.deps import IdentitySettings
from millbook_identity.roles import service
from millbook_identity.roles.schemas import Role, RoleCreate, RolePatch
from millbook_platform.auth import Principal
from millbook_platform.deps import TenantSession, needs
from millbook_platform.pagination import DataResponse, ListResponse, PageMeta

router = APIRouter(prefix="/v1/roles", tags=["roles"])


@router.get("", response_model=ListResponse[Role])
async def list_roles(
    principal: Annotated[Principal, needs("users:read")], session: TenantSession
) -> ListResponse[Role]:
    """Every role a user can hold: built-in first, then the organization's own."""
    roles = await service.all_roles(session, principal.tenant_id)
    meta = PageMeta(limit=len(roles), offset=0, total=len(roles))
    return ListResponse(data=roles, meta=meta)


@router.post("", status_code=201, response_model=DataResponse[Role])
async def create_role(
    body: RoleCreate,
    principal: Annotated[Principal, needs("users:write")],
    session: TenantSession,
    settings: IdentitySettings,
) -> DataResponse[Role]:
    """Define a role of your own: a name and at most the scopes you hold."""
    role = await service.create_role(
        session, principal.tenant_id, body, principal.scopes, source=settings.source
    )
    return DataResponse(data=service.view(role))


@router.get("/{role_id}", response_model=DataResponse[Role])
async def get_role(
    role_id: uuid.UUID, principal: Annotated[Principal, needs("users:read")], session: TenantSession
) -> DataResponse[Role]:
    """One of the organization's own roles."""
    role = await service.get_role(session, principal.tenant_id, role_id)
    return DataResponse(data=service.view(role))


@router.patch("/{role_id}", response_model=DataResponse[Role])
async def update_role(
    role_id: uuid.UUID,
    body: RolePatch,
    principal: Annotated[Principal, needs("users:write")],
    session: TenantSession,
    settings: IdentitySettings,
) -> DataResponse[Role]:
    """Change a role's name, description or scopes; holders get them at their next token."""
    role = await service.update_role(
        session,
        principal.tenant_id,
        role_id,
        body.model_dump(exclude_unset=True),
        principal.scopes,
        source=settings.source,
    )
    return DataResponse(data=service.view(role))


@router.delete("/{role_id}", status_code=204)
async def delete_role(
    role_id: uuid.UUID,
    principal: Annotated[Principal, needs("users:write")],
    session: TenantSession,
    settings: IdentitySettings,
) -> Response:
    """Delete a role nobody holds; a role in use is a conflict."""
    await service.delete_role(session, principal.tenant_id, role_id, source=settings.source)
    return Response(status_code=204)
