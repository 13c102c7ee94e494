"""User use cases. They flush; the request (or the caller's unit of work) commits."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from millbook_identity.auth.passwords import hash_password_async
from millbook_identity.models import User
from millbook_identity.users import repository
from millbook_identity.users.domain import UserStatus, check_new_user, normalize_email
from millbook_identity.users.events import user_created
from millbook_identity.users.repository import UserFilters
from millbook_identity.users.schemas import UserCreate
from millbook_platform.errors import Conflict, NotFound, field_error
from millbook_platform.outbox import record_event
from millbook_platform.pagination import PageMeta, PageParams


async def create_user(
    session: AsyncSession, tenant_id: uuid.UUID, data: UserCreate, *, source: str
) -> User:
    """Add a user to the organization `tenant_id` and record UserCreated with it."""
    email = normalize_email(data.email)
    roles = list(dict.fromkeys(data.roles))
    check_new_user(email, data.password, roles)
    if await repository.get_by_email(session, tenant_id, email) is not None:
        raise _email_taken()
    user = User(
        id=uuid.uuid4(),
        tenant_id=tenant_id,
        email=email,
        password_hash=await hash_password_async(data.password),
        first_name=data.first_name,
        last_name=data.last_name,
        roles=roles,
        status=UserStatus.ACTIVE.value,
    )
    repository.add(session, user)
    try:
        await session.flush()
    except IntegrityError as exc:  # a concurrent request took the email first
        raise _email_taken() from exc
    record_event(session, user_created(user), tenant_id=tenant_id, source=source)
    return user


async def get_user(session: AsyncSession, tenant_id: uuid.UUID, user_id: uuid.UUID) -> User:
    user = await repository.get(session, tenant_id, user_id)
    if user is None:
        raise NotFound("No user with this id.")
    return user


async def list_users(
    session: AsyncSession, tenant_id: uuid.UUID, filters: UserFilters, page: PageParams
) -> tuple[Sequence[User], PageMeta]:
    return await repository.list_page(session, tenant_id, filters, page)


def _email_taken() -> Conflict:
    return Conflict(
        "A user with this email already exists in the organization.",
        details=[field_error("email", "already taken")],
    )
