"""Audit rules without I/O: naming what an entry is about, and how long it is kept."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

DEFAULT_RETENTION_DAYS = 90

# Identity's own authentication events, written straight into the trail (not published).
LOGIN_SUCCEEDED = "identity.auth.login_succeeded"
LOGIN_FAILED = "identity.auth.login_failed"
ACCOUNT_LOCKED = "identity.auth.account_locked"
LOGOUT = "identity.auth.logout"
REFRESH_REUSE_DETECTED = "identity.auth.refresh_token_reuse_detected"
PASSWORD_RESET_REQUESTED = "identity.auth.password_reset_requested"
PASSWORD_RESET_CONFIRMED = "identity.auth.password_reset_confirmed"
EMAIL_CHANGE_REQUESTED = "identity.auth.email_change_requested"
EMAIL_CHANGE_CONFIRMED = "identity.auth.email_change_confirmed"
API_KEY_ROTATED = "identity.auth.api_key_rotated"
SIGNING_KEY_ROTATED = "identity.auth.signing_key_rotated"


@dataclass(frozen=True)
class Actor:
    """`user:<id>` split into its kind and id; `system:<job>` and unknown callers too."""

    kind: str | None
    id: str | None

    @classmethod
    def parse(cls, actor: str | None) -> Actor:
        if not actor:
            return cls(None, None)
        kind, sep, ident = actor.partition(":")
        return cls(kind, ident) if sep else cls(None, actor)


def resource_type_of(event_type: str) -> str:
    """`billing.invoice.paid` is about an `invoice`; anything unexpected about itself."""
    parts = event_type.split(".")
    return parts[1] if len(parts) >= 3 else event_type


def retention_cutoff(now: datetime, retention_days: int) -> datetime:
    """Entries that occurred before this instant are past the tenant's retention."""
    return now - timedelta(days=max(retention_days, 1))
