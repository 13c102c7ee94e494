"""Custom role use cases. They flush; the request commits."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from millbook_identity.auth import revocation
from millbook_identity.models import Role
from millbook_identity.roles import repository
from millbook_identity.roles.domain import (
    ROLE_DESCRIPTIONS,
    ROLE_SCOPES,
    changed_role_fields,
    is_built_in,
    scopes_beyond,
)
from millbook_identity.roles.events import role_created, role_deleted, role_updated
from millbook_identity.roles.schemas import Role as RoleView
from millbook_identity.roles.schemas import RoleCreate
from millbook_platform.db import utcnow
from millbook_platform.errors import (
    Conflict,
    NotFound,
    PermissionDenied,
    ValidationFailed,
    field_error,
)
from millbook_platform.outbox import record_event


def built_in_roles() -> list[RoleView]:
    return [
        RoleView(
            id=None,
            name=name,
            description=ROLE_DESCRIPTIONS.get(name, ""),
            scopes=sorted(scopes),
            built_in=True,
        )
        for name, scopes in ROLE_SCOPES.items()
    ]


def view(role: Role) -> RoleView:
    return RoleView(
        id=role.id,
        name=role.name,
        description=role.description,
        scopes=sorted(role.scopes),
        built_in=False,
    )


async def all_roles(session: AsyncSession, tenant_id: uuid.UUID) -> list[RoleView]:
    custom = await repository.custom_roles(session, tenant_id)
    return built_in_roles() + [view(role) for role in custom]


async def get_role(session: AsyncSession, tenant_id: uuid.UUID, role_id: uuid.UUID) -> Role:
    role = await repository.get(session, tenant_id, role_id)
    if role is None:
        raise NotFound("No role with this id.")
    return role


async def create_role(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    data: RoleCreate,
    grantor: Iterable[str],
    *,
    source: str,
) -> Role:
    """Define a custom role; RoleCreated goes out."""
    _check_name(data.name)
    _refuse_beyond(data.scopes, grantor)
    role = Role(
        id=uuid.uuid4(),
        tenant_id=tenant_id,
        name=data.name,
        description=data.description,
        scopes=data.scopes,
    )
    repository.add(session, role)
    await _flush_unique(session)
    record_event(session, role_created(role, utcnow()), tenant_id=tenant_id, source=source)
    return role


async def update_role(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    role_id: uuid.UUID,
    changes: dict[str, Any],
    grantor: Iterable[str],
    *,
    source: str,
) -> Role:
    """Change a role; a rename follows on every user holding it. RoleUpdated goes out."""
    nulls = [field for field, value in changes.items() if value is None]
    if nulls:
        raise ValidationFailed(
            "A field cannot be removed.",
            details=[field_error(f, "must not be null") for f in nulls],
        )
    role = await get_role(session, tenant_id, role_id)
    if "scopes" in changes:
        _refuse_beyond(changes["scopes"], grantor)
    if "name" in changes and changes["name"] != role.name:
        _check_name(changes["name"])
        await repository.rename_on_users(session, tenant_id, role.name, changes["name"])
    previous_name = role.name
    changed = changed_role_fields({f: getattr(role, f) for f in changes}, changes)
    for field in changed:
        setattr(role, field, changes[field])
    await _flush_unique(session)
    if changed:
        event = role_updated(role, previous_name, changed, utcnow())
        record_event(session, event, tenant_id=tenant_id, source=source)
    if "scopes" in changed:
        for holder in await repository.holders_for_update(session, tenant_id, role.name):
            await revocation.outdate_tokens(session, holder, reason="role_updated", source=source)
    return role


async def delete_role(
    session: AsyncSession, tenant_id: uuid.UUID, role_id: uuid.UUID, *, source: str
) -> None:
    """Delete a role nobody holds; RoleDeleted goes out."""
    role = await get_role(session, tenant_id, role_id)
    holders = await repository.holders(session, tenant_id, role.name)
    if holders:
        raise Conflict(f"The role is held by {holders} user(s); take it from them first.")
    await repository.delete(session, role)
    await session.flush()
    record_event(session, role_deleted(role, utcnow()), tenant_id=tenant_id, source=source)


def _check_name(name: str) -> None:
    if is_built_in(name):
        raise Conflict(
            "A built-in role has this name.", details=[field_error("name", "is a built-in role")]
        )


def _refuse_beyond(scopes: Iterable[str], grantor: Iterable[str]) -> None:
    beyond = scopes_beyond(scopes, grantor)
    if beyond:
        raise PermissionDenied(
            f"A role cannot grant more than you hold: you lack the scope {', '.join(beyond)}.",
            details=[field_error("scopes", f"you lack {scope}") for scope in beyond],
        )


async def _flush_unique(session: AsyncSession) -> None:
    try:
        await session.flush()
    except IntegrityError as exc:
        raise Conflict(
            "The organization already has a role with this name.",
            details=[field_error("name", "already taken")],
        ) from exc
