"""The contract events a user change becomes."""

from __future__ import annotations

from datetime import datetime

from millbook_contracts.events import (
    RoleChanged,
    UserCreated,
    UserDeactivated,
    UserReactivated,
    UserUpdated,
)
from millbook_identity.models import User
from millbook_platform.db import utcnow


def user_created(user: User) -> UserCreated:
    return UserCreated(
        user_id=user.id,
        organization_id=user.tenant_id,
        email=user.email,
        first_name=user.first_name,
        last_name=user.last_name,
        roles=list(user.roles),
        created_at=user.created_at,
    )


def user_updated(user: User, changed: list[str]) -> UserUpdated:
    return UserUpdated(
        user_id=user.id,
        organization_id=user.tenant_id,
        email=user.email,
        first_name=user.first_name,
        last_name=user.last_name,
        roles=list(user.roles),
        changed=changed,
        updated_at=utcnow(),
    )


def role_changed(user: User, previous: list[str]) -> RoleChanged:
    return RoleChanged(
        user_id=user.id,
        organization_id=user.tenant_id,
        previous_roles=previous,
        roles=list(user.roles),
        changed_at=utcnow(),
    )


def user_deactivated(user: User) -> UserDeactivated:
    assert user.deactivated_at is not None
    return UserDeactivated(
        user_id=user.id, organization_id=user.tenant_id, deactivated_at=user.deactivated_at
    )


def user_reactivated(user: User, at: datetime) -> UserReactivated:
    return UserReactivated(
        user_id=user.id,
        organization_id=user.tenant_id,
        email=user.email,
        first_name=user.first_name,
        last_name=user.last_name,
        roles=list(user.roles),
        reactivated_at=at,
    )
