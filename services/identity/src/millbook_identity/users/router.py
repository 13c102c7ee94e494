"""HTTP endpoints for users: thin; parse, authorize, call the service."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from millbook_identity.deps import IdentitySettings
from millbook_identity.users import service
from millbook_identity.users.domain import UserStatus
from millbook_identity.users.repository import UserFilters
from millbook_identity.users.schemas import User, UserCreate
from millbook_platform.auth import require_scopes
from millbook_platform.deps import CurrentPrincipal, TenantSession
from millbook_platform.errors import AuthInvalid, NotFound
from millbook_platform.pagination import DataResponse, ListResponse, Page

router = APIRouter(prefix="/v1/users", tags=["users"])


@router.get("/me", response_model=DataResponse[User])
async def get_me(principal: CurrentPrincipal, session: TenantSession) -> DataResponse[User]:
    """The user the access token belongs to."""
    try:
        user = await service.get_user(session, principal.tenant_id, principal.subject_id)
    except NotFound as exc:
        raise AuthInvalid("The user of this access token no longer exists.") from exc
    return DataResponse(data=User.model_validate(user))


@router.post("", status_code=201, response_model=DataResponse[User])
async def create_user(
    body: UserCreate,
    principal: CurrentPrincipal,
    session: TenantSession,
    settings: IdentitySettings,
) -> DataResponse[User]:
    """Create a user in the caller's organization with the given roles (default viewer)."""
    require_scopes(principal, "users:write")
    user = await service.create_user(session, principal.tenant_id, body, source=settings.source)
    return DataResponse(data=User.model_validate(user))


@router.get("", response_model=ListResponse[User])
async def list_users(
    principal: CurrentPrincipal,
    session: TenantSession,
    page: Page,
    search: Annotated[str | None, Query(max_length=200)] = None,
    status: UserStatus | None = None,
) -> ListResponse[User]:
    """List the organization's users, newest first, optionally searched by email or name."""
    require_scopes(principal, "users:read")
    filters = UserFilters(search=search, status=status.value if status else None)
    users, meta = await service.list_users(session, principal.tenant_id, filters, page)
    return ListResponse(data=[User.model_validate(u) for u in users], meta=meta)


@router.get("/{user_id}", response_model=DataResponse[User])
async def get_user(
    user_id: uuid.UUID, principal: CurrentPrincipal, session: TenantSession
) -> DataResponse[User]:
    """One user of the caller's organization."""
    require_scopes(principal, "users:read")
    user = await service.get_user(session, principal.tenant_id, user_id)
    return DataResponse(data=User.model_validate(user))
