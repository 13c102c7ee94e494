"""Audit rules without I/O: naming what an entry is about, and how long it is kept."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

DEFAULT_RETENTION_DAYS = 90

# Identity's own authentication events, written straight into the trail (not published).
LOGIN_SUCCEEDED = "identity.auth.login_succeeded"
LOGIN_FAILED = "identity.auth.login_failed"
ACCOUNT_LOCKED = "identity.auth.account_locked"
LOGOUT = "identity.auth.logout"
REFRESH_REUSE_DETECTED = "identity.auth.refresh_token_reuse_detected"
PASSWORD_RESET_REQUESTED = "identity.auth.password_reset_requested"
PASSWORD_RESET_CONFIRMED = "identity.auth.password_reset_confirmed"
API_KEY_ROTATED = "identity.auth.api_key_rotated"
SIGNING_KEY_ROTATED = "identity.auth.signing_key_rotated"


REDACTED = "[redacted]"
# A field is a secret by its name: its last word (split on _ and -) is one of
# SECRET_WORDS (`token`, `sealed_token`, `refresh_token`, `new_password`,
# `webhook_secret`, `smtp_password`, ...), or the whole name is one of SECRET_NAMES.
# Deliberately wide: an audit reader never needs a token, a password or a key's secret.
SECRET_WORDS = frozenset(
    {"token", "tokens", "secret", "secrets", "password", "passwords", "passwd", "passphrase"}
)
SECRET_NAMES = frozenset(
    {
        "api_key",
        "apikey",
        "x_api_key",
        "authorization",
        "private_key",
        "private_key_pem",
        "secret_key",
        "password_hash",
        "secret_hash",
        "token_hash",
        "credentials",
    }
)
# A superset of the rule in SQL, to find the stored entries that may hold a secret.
SECRET_KEY_PATTERN = (
    r'"[^"]*(token|secret|passw|passphrase|private.key|api.?key|authorization|credential)'
    r'[^"]*"\s*:'
)


def is_secret_field(name: str) -> bool:
    """Whether a payload field holds a secret, judged by its name alone."""
    normalized = name.strip().lower().replace("-", "_")
    last_word = normalized.rsplit("_", 1)[-1]
    return normalized in SECRET_NAMES or last_word in SECRET_WORDS


def redact_secrets(value: Any) -> Any:
    """`value` with every secret-named field, at any depth, replaced by REDACTED."""
    if isinstance(value, Mapping):
        return {
            key: REDACTED if is_secret_field(str(key)) else redact_secrets(item)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [redact_secrets(item) for item in value]
    return value


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
