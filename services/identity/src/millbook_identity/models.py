"""Identity's tables.

`organizations` carries `tenant_id` equal to its own id so the same row-level
security policy as every other tenant table applies to it.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import Uuid

from millbook_platform.db import TenantScoped, new_metadata, utcnow


class Base(DeclarativeBase):
    metadata = new_metadata()


class Organization(TenantScoped, Base):
    __tablename__ = "organizations"

    name: Mapped[str] = mapped_column(String(200))
    base_currency: Mapped[str] = mapped_column(String(3), default="USD")
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    plan_tier: Mapped[str] = mapped_column(String(20), default="standard")
    # `sk_test_` keys act in this second tenant, so test traffic never touches live data.
    sandbox_tenant_id: Mapped[uuid.UUID] = mapped_column(Uuid, default=uuid.uuid4, unique=True)
    audit_retention_days: Mapped[int] = mapped_column(Integer, default=90)
    status: Mapped[str] = mapped_column(String(20), default="active")

    __table_args__ = (
        CheckConstraint("tenant_id = id", name="tenant_is_self"),
        CheckConstraint(
            "plan_tier IN ('standard', 'professional', 'enterprise')", name="plan_tier_known"
        ),
        CheckConstraint("status IN ('active', 'inactive')", name="status_known"),
        CheckConstraint("audit_retention_days > 0", name="retention_positive"),
    )


class User(TenantScoped, Base):
    __tablename__ = "users"

    tenant_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    email: Mapped[str] = mapped_column(String(320))
    password_hash: Mapped[str] = mapped_column(Text)
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    roles: Mapped[list[str]] = mapped_column(ARRAY(Text))
    status: Mapped[str] = mapped_column(String(20), default="active")
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    deactivated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Raised whenever the user's scopes change; an access token carries the version it
    # was issued at, and the gateway refuses one older than the last change.
    scope_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    __table_args__ = (
        Index("uq_users_tenant_email", "tenant_id", "email", unique=True),
        # The login lookup searches every tenant by email.
        Index("ix_users_email", "email"),
        CheckConstraint("email = lower(email)", name="email_lower_case"),
        CheckConstraint("status IN ('active', 'inactive')", name="status_known"),
    )


class UserSession(TenantScoped, Base):
    """One refresh token of a login (only its sha256) and when it ends.

    Refreshing marks the row used and opens its successor in the same `family_id`
    (the id of the login's first row); presenting a used token revokes the family.
    """

    __tablename__ = "sessions"

    user_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    refresh_token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    family_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class LoginFailure(TenantScoped, Base):
    """A failed password for one account; the lockout rule reads the recent ones."""

    __tablename__ = "login_failures"

    user_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    # The client address it came from: the lockout counts per account and source.
    source: Mapped[str] = mapped_column(String(64), server_default="unknown")


class AnonymousLoginFailure(Base):
    """A failed login for an email with no account, so that it locks like a real one.

    Keyed by a keyed hash of the normalized email, never the email itself; system-wide
    (no tenant owns an email that has no account), so no row-level security.
    """

    __tablename__ = "anonymous_login_failures"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    email_digest: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(64), server_default="unknown")
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, server_default=func.now(), index=True
    )

    __table_args__ = (
        Index("ix_anonymous_login_failures_digest_created", "email_digest", "created_at"),
    )


class Role(TenantScoped, Base):
    """An organization's own named bundle of scopes, beside the built-in roles."""

    __tablename__ = "roles"

    name: Mapped[str] = mapped_column(String(64))
    description: Mapped[str] = mapped_column(Text, default="")
    scopes: Mapped[list[str]] = mapped_column(ARRAY(Text))

    __table_args__ = (Index("uq_roles_tenant_name", "tenant_id", "name", unique=True),)


class ApiKey(TenantScoped, Base):
    """A machine credential: only the secret's sha256 is stored, beside a short prefix."""

    __tablename__ = "api_keys"

    name: Mapped[str] = mapped_column(String(200))
    mode: Mapped[str] = mapped_column(String(10))
    scopes: Mapped[list[str]] = mapped_column(ARRAY(Text))
    prefix: Mapped[str] = mapped_column(String(20))
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # After a rotation the previous secret keeps working until `previous_expires_at`.
    previous_secret_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    previous_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    allowed_ips: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list)
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str | None] = mapped_column(String(100))

    __table_args__ = (CheckConstraint("mode IN ('live', 'test')", name="mode_known"),)


class PasswordReset(TenantScoped, Base):
    """A single-use reset token (only its sha256) for one account, valid for an hour."""

    __tablename__ = "password_resets"

    user_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class EmailChange(TenantScoped, Base):
    """A user's pending move to `new_email`: a single-use token (only its sha256) mailed
    there, valid for a day; the address changes when it comes back."""

    __tablename__ = "email_changes"

    user_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    new_email: Mapped[str] = mapped_column(String(320))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (CheckConstraint("new_email = lower(new_email)", name="email_lower_case"),)


class AuditEntry(TenantScoped, Base):
    """One thing that happened in a tenant: who did what to which resource, and when."""

    __tablename__ = "audit_entries"

    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str | None] = mapped_column(String(120))
    actor_id: Mapped[str | None] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(200))
    resource_type: Mapped[str] = mapped_column(String(100))
    resource_id: Mapped[str | None] = mapped_column(String(200))
    request_id: Mapped[str | None] = mapped_column(String(128))
    event_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)

    __table_args__ = (
        Index("ix_audit_entries_tenant_occurred", "tenant_id", "occurred_at"),
        Index(
            "uq_audit_entries_event_id",
            "event_id",
            unique=True,
            postgresql_where=text("event_id IS NOT NULL"),
        ),
    )


class SigningKey(Base):
    """An Ed25519 key that signs access tokens; not tenant data, so no RLS."""

    __tablename__ = "signing_keys"

    kid: Mapped[str] = mapped_column(String(64), primary_key=True)
    private_key_pem: Mapped[str] = mapped_column(Text)
    public_jwk: Mapped[dict[str, Any]] = mapped_column(JSONB)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, server_default=func.now()
    )
    retired_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
