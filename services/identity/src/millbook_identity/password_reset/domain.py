"""Password reset rules without I/O."""

from __future__ import annotations

from datetime import datetime, timedelta

TOKEN_LIFETIME = timedelta(hours=1)


def token_usable(expires_at: datetime, used_at: datetime | None, now: datetime) -> bool:
    """A reset token works once, within its hour."""
    return used_at is None and now < expires_at
