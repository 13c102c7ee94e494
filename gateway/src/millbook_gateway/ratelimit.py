"""Rate limiting: fixed windows, the decision pure, the counters in process.

A caller's budget is a few quotas, each a counter in one window (an hourly
budget and a per-minute burst; for sign-in, one per client IP and one per
account email). A request is admitted only when every quota has room, and then
counts in all of them; a refused request counts in none, so a client that keeps
hammering gets its budget back when the window resets.

Windows are aligned to the epoch, so `X-RateLimit-Reset` is the same instant on
every gateway instance and the Redis keys of one window are the same everywhere.
The price is the classic fixed-window edge: up to twice a window's limit can
pass around a boundary; the burst window keeps that short.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

Clock = Callable[[], float]


@dataclass(frozen=True)
class Window:
    """`limit` requests per `seconds`."""

    limit: int
    seconds: int

    def start(self, now: float) -> int:
        return int(now // self.seconds) * self.seconds

    def reset_at(self, now: float) -> int:
        return self.start(now) + self.seconds


@dataclass(frozen=True)
class Quota:
    """One counter: what `subject` (`user:<id>`, `ip:<addr>`, ...) may do in one window."""

    subject: str
    window: Window

    def counter(self, now: float) -> str:
        """The counter's name in the current window; a new window is a new counter."""
        return f"{self.subject}:{self.window.seconds}:{self.window.start(now)}"


@dataclass(frozen=True)
class Decision:
    """Admitted or not, and what the `X-RateLimit-*` headers report."""

    allowed: bool
    limit: int
    remaining: int
    reset_at: int
    retry_after: int = 0

    def headers(self) -> dict[str, str]:
        headers = {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(self.reset_at),
        }
        if not self.allowed:
            headers["Retry-After"] = str(self.retry_after)
        return headers


def decide(quotas: Sequence[Quota], used: Sequence[int], now: float) -> Decision:
    """The decision for one more request, given what each quota has used in its window."""
    full = [q.window for q, n in zip(quotas, used, strict=True) if n >= q.window.limit]
    if full:
        # The request can pass only once the last of the full windows has reset.
        blocking = max(full, key=lambda w: w.reset_at(now))
        reset_at = blocking.reset_at(now)
        wait = max(1, math.ceil(reset_at - now))
        return Decision(False, blocking.limit, 0, reset_at, retry_after=wait)
    # Report the quota closest to running out: that is the one the client must watch.
    tightest, after = min(
        ((q.window, n + 1) for q, n in zip(quotas, used, strict=True)),
        key=lambda pair: (pair[0].limit - pair[1], pair[0].seconds),
    )
    return Decision(True, tightest.limit, tightest.limit - after, tightest.reset_at(now))


class Counters(Protocol):
    """Where the counts live: this process, or Redis for several gateway instances."""

    async def hit(self, quotas: Sequence[Quota]) -> Decision: ...

    async def aclose(self) -> None: ...


class MemoryCounters:
    """Counts in this process; expired windows are swept once a minute."""

    SWEEP_EVERY_S = 60.0

    def __init__(self, clock: Clock = time.time) -> None:
        self._clock = clock
        self._counts: dict[str, tuple[int, int]] = {}  # counter -> (window end, used)
        self._swept_at = clock()

    async def hit(self, quotas: Sequence[Quota]) -> Decision:
        return self.hit_now(quotas)

    def hit_now(self, quotas: Sequence[Quota]) -> Decision:
        now = self._clock()
        self._sweep(now)
        counters = [q.counter(now) for q in quotas]
        used = [self._counts.get(c, (0, 0))[1] for c in counters]
        decision = decide(quotas, used, now)
        if decision.allowed:
            for quota, counter, n in zip(quotas, counters, used, strict=True):
                self._counts[counter] = (quota.window.reset_at(now), n + 1)
        return decision

    def _sweep(self, now: float) -> None:
        if now - self._swept_at < self.SWEEP_EVERY_S:
            return
        self._swept_at = now
        self._counts = {c: v for c, v in self._counts.items() if v[0] > now}

    def __len__(self) -> int:
        return len(self._counts)

    async def aclose(self) -> None:
        return None
