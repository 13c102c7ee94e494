"""HTTP endpoints for users: thin; parse, authorize, call the service."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response
from sqlalchemy.ext.asyncio import AsyncSession

from millbook_identity.auth.tokens import USER_KIND
from millbook_identity.deps import IdentitySettings
from millbook_identity.models import User as UserRow
from millbook_identity.users import service
from millbook_identity.users.domain import UserStatus
from millbook_identity.users.repository import UserFilters
from millbook_identity.users.schemas import (
    MePatch,
    MeReplace,
    User,
    UserCreate,
    UserPatch,
    UserReplace,
)
from millbook_platform.auth import Principal
from millbook_platform.deps import CurrentPrincipal, TenantSession, needs
from millbook_platform.errors import AuthInvalid, NotFound, PermissionDenied
from millbook_platform.pagination import DataResponse, ListResponse, Page

router = APIRouter(prefix="/v1/users", tags=["users"])


async def _me(session: AsyncSession, principal: Principal) -> UserRow:
    if principal.kind != USER_KIND:
        raise PermissionDenied(
            "An API key acts for its organization, not for a user, so it has no /users/me: "
            "send a user's access token (POST /v1/auth/login) instead."
        )
    try:
        return await service.get_user(session, principal.tenant_id, principal.subject_id)
    except NotFound as exc:
        raise AuthInvalid("The user of this access token no longer exists.") from exc


@router.get("/me", response_model=DataResponse[User])
async def get_me(principal: CurrentPrincipal, session: TenantSession) -> DataResponse[User]:
    """The user the access token belongs to."""
    return DataResponse(data=User.model_validate(await _me(session, principal)))


@router.put("/me", response_model=DataResponse[User])
async def replace_me(
    body: MeReplace,
    principal: CurrentPrincipal,
    session: TenantSession,
    settings: IdentitySettings,
) -> DataResponse[User]:
    """Set your names and email (and, with your current password, a new password)."""
    user = await _me(session, principal)
    changes = body.model_dump(exclude_none=True)
    user = await service.update_me(
        session, user, changes, source=settings.source, session_id=principal.session_id
    )
    return DataResponse(data=User.model_validate(user))


@router.patch("/me", response_model=DataResponse[User])
async def update_me(
    body: MePatch,
    principal: CurrentPrincipal,
    session: TenantSession,
    settings: IdentitySettings,
) -> DataResponse[User]:
    """Change the fields given of your own profile; roles, status and organization are refused."""
    user = await _me(session, principal)
    changes = body.model_dump(exclude_unset=True)
    user = await service.update_me(
        session, user, changes, source=settings.source, session_id=principal.session_id
    )
    return DataResponse(data=User.model_validate(user))


@router.post("", status_code=201, response_model=DataResponse[User])
async def create_user(
    body: UserCreate,
    principal: Annotated[Principal, needs("users:write")],
    session: TenantSession,
    settings: IdentitySettings,
) -> DataResponse[User]:
    """Create a user in the caller's organization with the given roles (default viewer)."""
    user = await service.create_user(
        session, principal.tenant_id, body, source=settings.source, grantor_scopes=principal.scopes
    )
    return DataResponse(data=User.model_validate(user))


@router.get("", response_model=ListResponse[User])
async def list_users(
    principal: Annotated[Principal, needs("users:read")],
    session: TenantSession,
    page: Page,
    search: Annotated[str | None, Query(max_length=200)] = None,
    role: Annotated[str | None, Query(max_length=64)] = None,
    status: UserStatus | None = None,
) -> ListResponse[User]:
    """List the organization's users, newest first; search, filter by role or status."""
    filters = UserFilters(search=search, status=status.value if status else None, role=role)
    users, meta = await service.list_users(session, principal.tenant_id, filters, page)
    return ListResponse(data=[User.model_validate(u) for u in users], meta=meta)


@router.get("/{user_id}", response_model=DataResponse[User])
async def get_user(
    user_id: uuid.UUID, principal: Annotated[Principal, needs("users:read")], session: TenantSession
) -> DataResponse[User]:
    """One user of the caller's organization."""
    user = await service.get_user(session, principal.tenant_id, user_id)
    return DataResponse(data=User.model_validate(user))


@router.put("/{user_id}", response_model=DataResponse[User])
async def replace_user(
    user_id: uuid.UUID,
    body: UserReplace,
    principal: Annotated[Principal, needs("users:write")],
    session: TenantSession,
    settings: IdentitySettings,
) -> DataResponse[User]:
    """Replace a user's email, names and roles."""
    user = await service.update_user(
        session,
        principal.tenant_id,
        user_id,
        body.model_dump(),
        source=settings.source,
        grantor_scopes=principal.scopes,
    )
    return DataResponse(data=User.model_validate(user))


@router.patch("/{user_id}", response_model=DataResponse[User])
async def update_user(
    user_id: uuid.UUID,
    body: UserPatch,
    principal: Annotated[Principal, needs("users:write")],
    session: TenantSession,
    settings: IdentitySettings,
) -> DataResponse[User]:
    """Change the fields given of a user: email, names or roles."""
    user = await service.update_user(
        session,
        principal.tenant_id,
        user_id,
        body.model_dump(exclude_unset=True),
        source=settings.source,
        grantor_scopes=principal.scopes,
    )
    return DataResponse(data=User.model_validate(user))


@router.post("/{user_id}/reactivate", response_model=DataResponse[User])
async def reactivate_user(
    user_id: uuid.UUID,
    principal: Annotated[Principal, needs("users:write")],
    session: TenantSession,
    settings: IdentitySettings,
) -> DataResponse[User]:
    """Bring a deactivated user back: they can log in again with their old password and roles."""
    user = await service.reactivate_user(
        session,
        principal.tenant_id,
        user_id,
        source=settings.source,
        grantor_scopes=principal.scopes,
    )
    return DataResponse(data=User.model_validate(user))


@router.delete("/{user_id}", status_code=204)
async def delete_user(
    user_id: uuid.UUID,
    principal: Annotated[Principal, needs("users:delete")],
    session: TenantSession,
    settings: IdentitySettings,
) -> Response:
    """Deactivate a user: they can no longer log in, their sessions end, their history stays."""
    actor = principal.subject_id if principal.kind == "user" else None
    await service.deactivate_user(
        session, principal.tenant_id, user_id, actor_id=actor, source=settings.source
    )
    return Response(status_code=204)
