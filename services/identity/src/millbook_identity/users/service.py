"""User use cases. They flush; the request (or the caller's unit of work) commits."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from millbook_identity.auth import revocation
from millbook_identity.auth.passwords import hash_password_async, password_matches_async
from millbook_identity.models import User
from millbook_identity.roles import repository as roles
from millbook_identity.roles.domain import scopes_beyond, scopes_for
from millbook_identity.users import email_change, repository
from millbook_identity.users.domain import (
    UserStatus,
    changed_fields,
    check_new_user,
    check_password,
    check_reactivation,
    new_email_of,
    normalize_email,
    role_problems,
)
from millbook_identity.users.events import (
    role_changed,
    user_created,
    user_deactivated,
    user_reactivated,
    user_updated,
)
from millbook_identity.users.repository import UserFilters
from millbook_identity.users.schemas import UserCreate
from millbook_platform.db import utcnow
from millbook_platform.errors import (
    Conflict,
    NotFound,
    PermissionDenied,
    ValidationFailed,
    field_error,
)
from millbook_platform.outbox import record_event
from millbook_platform.pagination import PageMeta, PageParams


async def create_user(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    data: UserCreate,
    *,
    source: str,
    grantor_scopes: Iterable[str] | None = None,
) -> User:
    """Add a user to the organization `tenant_id` and record UserCreated with it.

    `grantor_scopes` are the caller's: nobody hands out roles worth more than they hold.
    """
    email = normalize_email(data.email)
    role_names = list(dict.fromkeys(data.roles))
    custom = await roles.custom_scopes(session, tenant_id)
    check_new_user(email, data.password, role_names, custom)
    _refuse_roles_beyond(role_names, custom, grantor_scopes)
    if await repository.get_by_email(session, tenant_id, email) is not None:
        raise email_change.email_taken()
    user = User(
        id=uuid.uuid4(),
        tenant_id=tenant_id,
        email=email,
        password_hash=await hash_password_async(data.password),
        first_name=data.first_name,
        last_name=data.last_name,
        roles=role_names,
        status=UserStatus.ACTIVE.value,
    )
    repository.add(session, user)
    await email_change.flush_unique_email(session)
    record_event(session, user_created(user), tenant_id=tenant_id, source=source)
    return user


def _refuse_roles_beyond(
    role_names: list[str], custom: dict[str, list[str]], grantor_scopes: Iterable[str] | None
) -> None:
    if grantor_scopes is None:
        return
    beyond = scopes_beyond(scopes_for(role_names, custom), grantor_scopes)
    if beyond:
        raise PermissionDenied(
            f"These roles grant more than you hold: you lack the scope {', '.join(beyond)}.",
            details=[field_error("roles", f"grants {scope}, which you lack") for scope in beyond],
        )


async def get_user(session: AsyncSession, tenant_id: uuid.UUID, user_id: uuid.UUID) -> User:
    user = await repository.get(session, tenant_id, user_id)
    if user is None:
        raise NotFound("No user with this id.")
    return user


async def list_users(
    session: AsyncSession, tenant_id: uuid.UUID, filters: UserFilters, page: PageParams
) -> tuple[Sequence[User], PageMeta]:
    return await repository.list_page(session, tenant_id, filters, page)


async def active_users(session: AsyncSession, tenant_id: uuid.UUID) -> Sequence[User]:
    return await repository.active_in(session, tenant_id)


async def update_user(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    user_id: uuid.UUID,
    changes: dict[str, Any],
    *,
    source: str,
    grantor_scopes: Iterable[str] | None = None,
    actor_id: uuid.UUID | None = None,
) -> User:
    """Apply an admin's changes (email, names, roles); UserUpdated and RoleChanged go out.

    An admin may set another user's email at once (to fix a typo, or move a leaver's
    mailbox), and the old address is told. Their own email, `actor_id`'s, they change
    like anyone else at /v1/users/me: with their password, confirmed from the new inbox.
    """
    _refuse_nulls(changes)
    user = await get_user(session, tenant_id, user_id)
    previous_email = user.email
    new_email = new_email_of(user.email, changes.get("email"))
    if new_email is not None and user.id == actor_id:
        raise PermissionDenied(
            "Change your own email at /v1/users/me, with your current password.",
            details=[field_error("email", "your own: change it at /v1/users/me")],
        )
    if "roles" in changes:
        changes["roles"] = list(dict.fromkeys(changes["roles"]))
        custom = await roles.custom_scopes(session, tenant_id)
        problems = role_problems(changes["roles"], custom)
        if problems:
            raise ValidationFailed("The user is not valid.", details=problems)
        _refuse_roles_beyond(changes["roles"], custom, grantor_scopes)
    await _apply(session, user, changes, source=source)
    if new_email is not None:
        email_change.notify_changed_by_admin(session, user, previous_email, source=source)
    return user


async def update_me(
    session: AsyncSession,
    user: User,
    changes: dict[str, Any],
    *,
    source: str,
    inbox_key: Callable[[], str],
    session_id: uuid.UUID | None = None,
) -> str | None:
    """A user's own changes: names at once; a new password or email only with the current
    password. Returns the address a confirmation was mailed to, if the email is to change.

    A new password ends every other session of the user (their refresh tokens stop and
    the gateway refuses their access tokens); the session `session_id` that changed it
    stays signed in. A new email changes nothing yet: a single-use link goes to the new
    address (sealed to the inbox, whose public key `inbox_key` gives) and a notice to the
    old one; the change happens at `email_change.confirm_change`.
    """
    _refuse_nulls(changes)
    password = changes.pop("password", None)
    current = changes.pop("current_password", None)
    new_email = new_email_of(user.email, changes.pop("email", None))
    if password is not None or new_email is not None:
        await _check_current_password(user, current)
    if new_email is not None:
        await email_change.refuse_taken(session, user, new_email)
    if password is not None:
        check_password(user.email, password)
        user.password_hash = await hash_password_async(password)
        await revocation.revoke_all_of_user(
            session,
            user.tenant_id,
            user.id,
            reason="password_changed",
            source=source,
            keep_family_of=session_id,
        )
    await _apply(session, user, changes, source=source)
    if new_email is not None:
        await email_change.request_change(
            session, user, new_email, source=source, inbox_key=inbox_key()
        )
    return new_email


async def _check_current_password(user: User, current: str | None) -> None:
    if current is None or not await password_matches_async(user.password_hash, current):
        raise ValidationFailed(
            "Your current password is needed to change your password or email.",
            details=[field_error("current_password", "does not match your password")],
        )


async def _apply(
    session: AsyncSession, user: User, changes: dict[str, Any], *, source: str
) -> User:
    if "email" in changes:
        changes["email"] = normalize_email(changes["email"])
        await email_change.refuse_taken(session, user, changes["email"])
    current = {field: getattr(user, field) for field in changes}
    changed = changed_fields(current, changes)
    previous_roles = list(user.roles)
    for field in changed:
        setattr(user, field, changes[field])
    await email_change.flush_unique_email(session)
    if changed:
        record_event(session, user_updated(user, changed), tenant_id=user.tenant_id, source=source)
    if "roles" in changed:
        event = role_changed(user, previous_roles)
        record_event(session, event, tenant_id=user.tenant_id, source=source)
        await revocation.outdate_tokens(session, user, reason="roles_changed", source=source)
    return user


async def deactivate_user(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    user_id: uuid.UUID,
    *,
    actor_id: uuid.UUID | None,
    source: str,
) -> None:
    """Soft delete: the user can no longer log in and every session of theirs ends now."""
    user = await get_user(session, tenant_id, user_id)
    if user.id == actor_id:
        raise Conflict("You cannot deactivate yourself; ask another admin.")
    if user.status == UserStatus.INACTIVE:
        return
    user.status = UserStatus.INACTIVE.value
    user.deactivated_at = utcnow()
    await session.flush()
    record_event(session, user_deactivated(user), tenant_id=tenant_id, source=source)
    await revocation.revoke_all_of_user(
        session, tenant_id, user.id, reason="user_deactivated", source=source
    )


async def reactivate_user(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    user_id: uuid.UUID,
    *,
    source: str,
    grantor_scopes: Iterable[str] | None = None,
) -> User:
    """Bring a deactivated user back with their roles and password; UserReactivated goes out.

    Reactivating hands the user's roles out again, so the caller must hold what they grant.
    """
    user = await repository.get_for_update(session, tenant_id, user_id)
    if user is None:
        raise NotFound("No user with this id.")
    check_reactivation(user.status)
    custom = await roles.custom_scopes(session, tenant_id)
    _refuse_roles_beyond(list(user.roles), custom, grantor_scopes)
    now = utcnow()
    user.status = UserStatus.ACTIVE.value
    user.deactivated_at = None
    await session.flush()
    record_event(session, user_reactivated(user, now), tenant_id=tenant_id, source=source)
    return user


def _refuse_nulls(changes: dict[str, Any]) -> None:
    nulls = [field for field, value in changes.items() if value is None]
    if nulls:
        raise ValidationFailed(
            "A field cannot be removed, only changed.",
            details=[field_error(field, "must not be null") for field in nulls],
        )
