"""Login protection, decided without I/O: when repeated failures lock an account.

After `max_failures` wrong passwords for one account within `window`, the
account refuses every login for `cooldown`, counted from the failure that
tripped it. Failures before a lock ended do not count towards the next one.

An email without an account locks by the same rule, so that a 429 does not tell
an attacker the account exists; its failures are counted under `email_digest`.
"""

from __future__ import annotations

import hashlib
import hmac
import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class LockoutPolicy:
    max_failures: int = 5
    window: timedelta = timedelta(minutes=15)
    cooldown: timedelta = timedelta(minutes=15)

    @property
    def lookback(self) -> timedelta:
        """How far back failures can matter to a decision now."""
        return self.window + self.cooldown


DEFAULT_POLICY = LockoutPolicy()


def locked_until(
    failures: Iterable[datetime], now: datetime, policy: LockoutPolicy = DEFAULT_POLICY
) -> datetime | None:
    """When the account's current lock ends, or None when it may try to log in now."""
    lock_ends: datetime | None = None
    recent: list[datetime] = []
    for failed_at in sorted(failures):
        if lock_ends is not None and failed_at < lock_ends:
            continue  # attempts refused during a lock are not failures
        recent = [t for t in recent if failed_at - t < policy.window] + [failed_at]
        if len(recent) >= policy.max_failures:
            lock_ends, recent = failed_at + policy.cooldown, []
    return lock_ends if lock_ends is not None and lock_ends > now else None


def retry_after_seconds(until: datetime, now: datetime) -> int:
    """The `Retry-After` value: whole seconds, never 0 while still locked."""
    return max(1, math.ceil((until - now).total_seconds()))


def email_digest(normalized_email: str, key: bytes | None) -> str:
    """What an email's anonymous failures are stored under: HMAC-SHA256 with the server's
    key (plain SHA-256 without one), so the table never holds the email itself."""
    data = normalized_email.encode()
    if key is None:
        return hashlib.sha256(data).hexdigest()
    return hmac.new(key, data, hashlib.sha256).hexdigest()
