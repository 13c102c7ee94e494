"""Login protection, decided without I/O: when a source may try an account's password.

Failures are counted per (account, source), the source being the client address the
gateway reports. After `max_failures` wrong passwords from one source within
`window`, that source is refused for a cooldown counted from the failure that
tripped it; each further lock of the same source within `memory` doubles the
cooldown, up to `max_cooldown`. Failures before a lock ended do not count towards
the next one. Another source is not affected: an attacker elsewhere cannot keep the
owner out by failing on purpose.

A distributed attack (many sources, each below the threshold) meets a ceiling per
account: once `account_ceiling` failures from all sources fall within `window`, a
source that has itself failed within the window waits `pressure_delay` after its
own last failure. A source that has not failed is never refused.

An email without an account is throttled by the same rule, so that a 429 does not
tell an attacker the account exists; its failures are counted under `email_digest`.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

# Where a failure came from (a client address, or UNKNOWN_SOURCE) and when.
Failure = tuple[str, datetime]
UNKNOWN_SOURCE = "unknown"


@dataclass(frozen=True)
class LockoutPolicy:
    max_failures: int = 5
    window: timedelta = timedelta(minutes=15)
    cooldown: timedelta = timedelta(minutes=15)
    max_cooldown: timedelta = timedelta(hours=4)
    # How long a source's earlier locks keep doubling its next one.
    memory: timedelta = timedelta(hours=24)
    account_ceiling: int = 20
    pressure_delay: timedelta = timedelta(minutes=5)

    @property
    def lookback(self) -> timedelta:
        """How far back failures can matter to a decision now."""
        return max(self.memory, self.window + self.max_cooldown)


DEFAULT_POLICY = LockoutPolicy()


def cooldown_of(lock_number: int, policy: LockoutPolicy = DEFAULT_POLICY) -> timedelta:
    """The nth lock's cooldown (0 for the first): doubled each time, up to the cap."""
    doubled: timedelta = policy.cooldown * (2 ** min(lock_number, 32))
    return min(doubled, policy.max_cooldown)


def locked_until(
    failures: Iterable[datetime], now: datetime, policy: LockoutPolicy = DEFAULT_POLICY
) -> datetime | None:
    """When one source's current lock ends, or None when it may try to log in now.

    `failures` are that source's, for one account, within the policy's lookback.
    """
    lock_ends: datetime | None = None
    locks = 0
    recent: list[datetime] = []
    for failed_at in sorted(failures):
        if lock_ends is not None and failed_at < lock_ends:
            continue  # attempts refused during a lock are not failures
        recent = [t for t in recent if failed_at - t < policy.window] + [failed_at]
        if len(recent) >= policy.max_failures:
            lock_ends, recent = failed_at + cooldown_of(locks, policy), []
            locks += 1
    return lock_ends if lock_ends is not None and lock_ends > now else None


def throttled_until(
    failures: Iterable[Failure],
    source: str,
    now: datetime,
    policy: LockoutPolicy = DEFAULT_POLICY,
) -> datetime | None:
    """When `source` may next try this account's password, or None when it may now.

    `failures` are the account's, from every source: the source's own lock, and the
    account-wide ceiling that slows (never locks) a source which has failed itself.
    """
    every = list(failures)
    own = [at for src, at in every if src == source]
    until = locked_until(own, now, policy)
    in_window = [at for _, at in every if now - at < policy.window]
    own_in_window = [at for at in own if now - at < policy.window]
    if len(in_window) >= policy.account_ceiling and own_in_window:
        slowed = max(own_in_window) + policy.pressure_delay
        if slowed > now and (until is None or slowed > until):
            until = slowed
    return until


def source_of(reported: str | None, peer: str | None) -> str:
    """The throttling key of a login: the client address the gateway reported, else the
    connecting peer's, in canonical form; UNKNOWN_SOURCE when neither is an address.

    Only the gateway's report is meant to be trusted (it overwrites any the client
    sent); a caller reaching identity directly could report any address, and so spend
    another source's budget. Services are to be reached only through the gateway
    (issue 10 finding 8), and the key serves throttling alone, never authorization.
    """
    for candidate in (reported, peer):
        try:
            return str(ipaddress.ip_address((candidate or "").strip()))
        except ValueError:
            continue
    return UNKNOWN_SOURCE


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
