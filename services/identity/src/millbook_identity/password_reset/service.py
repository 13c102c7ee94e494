"""Password reset use cases. They flush; the request commits."""

from __future__ import annotations

import secrets
import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from millbook_contracts.events import PasswordResetRequested
from millbook_identity.audit import domain as audit_actions
from millbook_identity.audit import service as audit
from millbook_identity.auth import repository as auth_repository
from millbook_identity.auth import revocation
from millbook_identity.auth.passwords import hash_password_async
from millbook_identity.auth.tokens import secret_digest
from millbook_identity.models import PasswordReset, User
from millbook_identity.password_reset.domain import TOKEN_LIFETIME, token_usable
from millbook_identity.users.domain import UserStatus, check_password, normalize_email
from millbook_platform.db import across_tenants, scope_to_tenant, utcnow
from millbook_platform.errors import ValidationFailed, field_error
from millbook_platform.outbox import record_event
from millbook_platform.sealing import seal


async def request_reset(session: AsyncSession, email: str, *, source: str, inbox_key: str) -> int:
    """One single-use token per active account with this email, published for the mailer
    sealed to the inbox's public key `inbox_key` (only the inbox can read it).

    Returns how many were issued; the caller answers the same whatever the number.
    """
    accounts = await auth_repository.users_with_email_in_any_tenant(session, normalize_email(email))
    issued = 0
    for user in (u for u in accounts if u.status == UserStatus.ACTIVE):
        await _issue(session, user, source=source, inbox_key=inbox_key)
        issued += 1
    return issued


async def _issue(session: AsyncSession, user: User, *, source: str, inbox_key: str) -> None:
    await scope_to_tenant(session, user.tenant_id)
    token = secrets.token_urlsafe(32)
    now = utcnow()
    reset = PasswordReset(
        id=uuid.uuid4(),
        tenant_id=user.tenant_id,
        user_id=user.id,
        token_hash=secret_digest(token),
        expires_at=now + TOKEN_LIFETIME,
    )
    session.add(reset)
    await session.flush()
    event = PasswordResetRequested(
        reset_id=reset.id,
        user_id=user.id,
        organization_id=user.tenant_id,
        email=user.email,
        sealed_token=seal(token, inbox_key, setting="MILLBOOK_INBOX_SEAL_PUBLIC_KEY"),
        expires_at=reset.expires_at,
        requested_at=now,
    )
    actor = f"user:{user.id}"
    record_event(session, event, tenant_id=user.tenant_id, source=source, actor=actor)
    audit.record_own_account(
        session, user.id, user.tenant_id, audit_actions.PASSWORD_RESET_REQUESTED
    )


async def confirm_reset(
    session: AsyncSession, token: str, new_password: str, *, source: str
) -> None:
    """Set the new password, spend the token and end every session of the account."""
    async with across_tenants(session):
        reset = await session.scalar(
            select(PasswordReset)
            .where(PasswordReset.token_hash == secret_digest(token))
            .with_for_update()
        )
    if reset is None or not token_usable(reset.expires_at, reset.used_at, utcnow()):
        raise ValidationFailed(
            "The reset link is not valid any more; ask for a new one.",
            details=[field_error("token", "unknown, used or expired")],
        )
    await scope_to_tenant(session, reset.tenant_id)
    user = await session.get(User, reset.user_id)
    assert user is not None, "a reset's user is deleted with it"
    check_password(user.email, new_password, field="new_password")
    user.password_hash = await hash_password_async(new_password)
    reset.used_at = utcnow()
    await auth_repository.forget_failures(session, user.tenant_id, user.id)
    actor = f"user:{user.id}"
    await revocation.revoke_all_of_user(
        session, user.tenant_id, user.id, reason="password_reset", source=source, actor=actor
    )
    audit.record_own_account(
        session, user.id, user.tenant_id, audit_actions.PASSWORD_RESET_CONFIRMED
    )
    await session.flush()
