"""Login protection, decided without I/O: when repeated failures lock an account.

After `max_failures` wrong passwords for one account within `window`, the
account refuses every login for `cooldown`, counted from the failure that
tripped it. Failures before a lock ended do not count towards the next one.
"""

from __future__ import annotations

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
