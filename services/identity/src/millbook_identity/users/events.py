"""The contract events a user change becomes."""

from __future__ import annotations

from millbook_contracts.events import UserCreated
from millbook_identity.models import User


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
