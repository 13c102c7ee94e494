"""Changing one's own login address: asked for with the password, done from the new inbox.

The address changes only when the single-use token mailed to the new address comes back,
so a stolen access token alone cannot move the account to an address the thief reads.
The old address is told of the request and of the change. These use cases flush; the
request commits.
"""

from __future__ import annotations

import secrets
import uuid
from typing import Literal

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from millbook_contracts.events import EmailChangeNotified, EmailChangeRequested
from millbook_identity.audit import domain as audit_actions
from millbook_identity.audit import service as audit
from millbook_identity.auth import revocation
from millbook_identity.auth.tokens import secret_digest
from millbook_identity.models import EmailChange, User
from millbook_identity.users import repository
from millbook_identity.users.domain import EMAIL_CHANGE_LIFETIME, email_change_usable
from millbook_identity.users.events import user_updated
from millbook_platform.db import utcnow
from millbook_platform.errors import Conflict, ValidationFailed, field_error
from millbook_platform.outbox import record_event
from millbook_platform.sealing import seal

Stage = Literal["requested", "confirmed", "changed_by_admin"]


async def request_change(
    session: AsyncSession, user: User, new_email: str, *, source: str, inbox_key: str
) -> EmailChange:
    """Mail a confirmation token to `new_email` (sealed to the inbox key `inbox_key`) and
    tell the current address. The caller has checked the current password; `new_email`
    is normalised and differs from the current one. An earlier pending request is withdrawn.
    """
    await refuse_taken(session, user, new_email)
    now = utcnow()
    await session.execute(
        update(EmailChange)
        .where(EmailChange.user_id == user.id, EmailChange.used_at.is_(None))
        .values(used_at=now)
    )
    token = secrets.token_urlsafe(32)
    change = EmailChange(
        id=uuid.uuid4(),
        tenant_id=user.tenant_id,
        user_id=user.id,
        new_email=new_email,
        token_hash=secret_digest(token),
        expires_at=now + EMAIL_CHANGE_LIFETIME,
    )
    session.add(change)
    await session.flush()
    actor = f"user:{user.id}"
    requested = EmailChangeRequested(
        change_id=change.id,
        user_id=user.id,
        organization_id=user.tenant_id,
        new_email=new_email,
        sealed_token=seal(token, inbox_key, setting="MILLBOOK_INBOX_SEAL_PUBLIC_KEY"),
        expires_at=change.expires_at,
        requested_at=now,
    )
    record_event(session, requested, tenant_id=user.tenant_id, source=source, actor=actor)
    notice = _notice(user, user.email, new_email, "requested")
    record_event(session, notice, tenant_id=user.tenant_id, source=source, actor=actor)
    audit.record_own_account(
        session,
        user.id,
        user.tenant_id,
        audit_actions.EMAIL_CHANGE_REQUESTED,
        {"email": user.email, "new_email": new_email, "expires_at": change.expires_at.isoformat()},
    )
    return change


async def confirm_change(
    session: AsyncSession,
    user: User,
    token: str,
    *,
    source: str,
    session_id: uuid.UUID | None,
) -> User:
    """Move `user` to the address the token was mailed to, spend the token, tell the old
    address, and end every other session of the user (the one confirming, `session_id`,
    stays signed in). A token of another user or of another flow is unknown here."""
    change = await session.scalar(
        select(EmailChange)
        .where(EmailChange.token_hash == secret_digest(token), EmailChange.user_id == user.id)
        .with_for_update()
    )
    if change is None or not email_change_usable(change.expires_at, change.used_at, utcnow()):
        raise ValidationFailed(
            "The confirmation link is not valid any more; ask for the change again.",
            details=[field_error("token", "unknown, used or expired")],
        )
    await refuse_taken(session, user, change.new_email)
    previous = user.email
    change.used_at = utcnow()
    user.email = change.new_email
    await flush_unique_email(session)
    actor = f"user:{user.id}"
    record_event(
        session, user_updated(user, ["email"]), tenant_id=user.tenant_id, source=source, actor=actor
    )
    notice = _notice(user, previous, user.email, "confirmed")
    record_event(session, notice, tenant_id=user.tenant_id, source=source, actor=actor)
    await revocation.revoke_all_of_user(
        session,
        user.tenant_id,
        user.id,
        reason="email_changed",
        source=source,
        actor=actor,
        keep_family_of=session_id,
    )
    audit.record_own_account(
        session,
        user.id,
        user.tenant_id,
        audit_actions.EMAIL_CHANGE_CONFIRMED,
        {"previous_email": previous, "email": user.email},
    )
    await session.flush()
    return user


def notify_changed_by_admin(
    session: AsyncSession, user: User, previous: str, *, source: str
) -> None:
    """Tell the old address that an administrator replaced it (the actor is the caller)."""
    notice = _notice(user, previous, user.email, "changed_by_admin")
    record_event(session, notice, tenant_id=user.tenant_id, source=source)


async def pending_email(session: AsyncSession, user: User) -> str | None:
    """The address the user asked to move to and has not confirmed yet, if the link still works."""
    change = await session.scalar(
        select(EmailChange)
        .where(EmailChange.user_id == user.id, EmailChange.used_at.is_(None))
        .order_by(EmailChange.created_at.desc())
        .limit(1)
    )
    if change is None or not email_change_usable(change.expires_at, change.used_at, utcnow()):
        return None
    return change.new_email


async def refuse_taken(session: AsyncSession, user: User, email: str) -> None:
    other = await repository.get_by_email(session, user.tenant_id, email)
    if other is not None and other.id != user.id:
        raise email_taken()


async def flush_unique_email(session: AsyncSession) -> None:
    try:
        await session.flush()
    except IntegrityError as exc:  # a concurrent request took the email first
        raise email_taken() from exc


def email_taken() -> Conflict:
    return Conflict(
        "A user with this email already exists in the organization.",
        details=[field_error("email", "already taken")],
    )


def _notice(user: User, email: str, new_email: str, stage: Stage) -> EmailChangeNotified:
    return EmailChangeNotified(
        user_id=user.id,
        organization_id=user.tenant_id,
        email=email,
        new_email=new_email,
        stage=stage,
        notified_at=utcnow(),
    )
