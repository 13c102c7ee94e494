"""The contract events a custom role's life becomes."""

from __future__ import annotations

from datetime import datetime

from millbook_contracts.events import RoleCreated, RoleDeleted, RoleUpdated
from millbook_identity.models import Role


def role_created(role: Role, at: datetime) -> RoleCreated:
    return RoleCreated(
        role_id=role.id,
        organization_id=role.tenant_id,
        name=role.name,
        description=role.description,
        scopes=sorted(role.scopes),
        created_at=at,
    )


def role_updated(role: Role, previous_name: str, changed: list[str], at: datetime) -> RoleUpdated:
    return RoleUpdated(
        role_id=role.id,
        organization_id=role.tenant_id,
        name=role.name,
        previous_name=previous_name,
        description=role.description,
        scopes=sorted(role.scopes),
        changed=changed,
        updated_at=at,
    )


def role_deleted(role: Role, at: datetime) -> RoleDeleted:
    return RoleDeleted(
        role_id=role.id,
        organization_id=role.tenant_id,
        name=role.name,
        scopes=sorted(role.scopes),
        deleted_at=at,
    )
