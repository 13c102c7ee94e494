"""HTTP endpoints for users: thin; parse, authorize, call the service."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from sqlalchemy.ext.asyncio import AsyncSession

from millbook_identity.config import Settings
from millbook_identity.deps import IdentitySettings
from millbook_identity.models import User as UserRow
from millbook_identity.users import email_change, service
from millbook_identity.users.domain import UserStatus
from millbook_identity.users.repository import UserFilters
from millbook_identity.users.schemas import (
    EmailConfirm,
    Me,
    MePatch,
    MeReplace,
    User,
    UserCreate,
    UserPatch,
    UserReplace,
)
from millbook_platform.auth import USER_KIND, Principal
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


async def _me_answer(session: AsyncSession, user: UserRow) -> DataResponse[Me]:
    me = Me.model_validate(user)
    me.pending_email = await email_change.pending_email(session, user)
    return DataResponse(data=me)


_EMAIL_PENDING: dict[int | str, dict[str, Any]] = {
    202: {
        "model": DataResponse[Me],
        "description": "A new email was asked for: a confirmation link went to it and "
        "`pending_email` shows it; `email` is unchanged until it is confirmed.",
    }
}


@router.get("/me", response_model=DataResponse[Me])
async def get_me(principal: CurrentPrincipal, session: TenantSession) -> DataResponse[Me]:
    """The user the access token belongs to, with any email change awaiting confirmation."""
    return await _me_answer(session, await _me(session, principal))


@router.put("/me", response_model=DataResponse[Me], responses=_EMAIL_PENDING)
async def replace_me(
    body: MeReplace,
    principal: CurrentPrincipal,
    session: TenantSession,
    settings: IdentitySettings,
    response: Response,
) -> DataResponse[Me]:
    """Set your names and email (a new email or password needs your current password).

    A new email is not set at once: 202, a confirmation link goes to the new address and a
    notice to the old one."""
    changes = body.model_dump(exclude_none=True)
    return await _change_me(changes, principal, session, settings, response)


@router.patch("/me", response_model=DataResponse[Me], responses=_EMAIL_PENDING)
async def update_me(
    body: MePatch,
    principal: CurrentPrincipal,
    session: TenantSession,
    settings: IdentitySettings,
    response: Response,
) -> DataResponse[Me]:
    """Change the fields given of your own profile; roles, status and organization are refused.

    A new email or password needs `current_password`. A new email is not set at once: 202,
    a confirmation link goes to the new address and a notice to the old one."""
    changes = body.model_dump(exclude_unset=True)
    return await _change_me(changes, principal, session, settings, response)


async def _change_me(
    changes: dict[str, Any],
    principal: Principal,
    session: AsyncSession,
    settings: Settings,
    response: Response,
) -> DataResponse[Me]:
    """PUT and PATCH alike: a new email waits for its link and answers 202."""
    user = await _me(session, principal)
    pending = await service.update_me(
        session,
        user,
        changes,
        source=settings.source,
        inbox_key=settings.inbox_public_key,
        session_id=principal.session_id,
    )
    if pending is not None:
        response.status_code = 202
    return await _me_answer(session, user)


@router.post("/me/email/confirm", response_model=DataResponse[Me])
async def confirm_email_change(
    body: EmailConfirm,
    principal: CurrentPrincipal,
    session: TenantSession,
    settings: IdentitySettings,
) -> DataResponse[Me]:
    """Make the address you asked for your login email, with the token mailed to it.

    The token works once, for 24 hours, and only for the account that asked; every other
    session of yours ends, and the old address is told."""
    user = await _me(session, principal)
    await email_change.confirm_change(
        session, user, body.token, source=settings.source, session_id=principal.session_id
    )
    return await _me_answer(session, user)


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
    """Replace a user's email, names and roles; a changed email is at once, and the old
    address is told (your own email you change at /v1/users/me)."""
    user = await service.update_user(
        session,
        principal.tenant_id,
        user_id,
        body.model_dump(),
        source=settings.source,
        grantor_scopes=principal.scopes,
        actor_id=principal.subject_id if principal.kind == USER_KIND else None,
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
    """Change the fields given of a user: email, names or roles; a changed email is at once,
    and the old address is told (your own email you change at /v1/users/me)."""
    user = await service.update_user(
        session,
        principal.tenant_id,
        user_id,
        body.model_dump(exclude_unset=True),
        source=settings.source,
        grantor_scopes=principal.scopes,
        actor_id=principal.subject_id if principal.kind == USER_KIND else None,
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
