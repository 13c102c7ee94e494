"""A circuit breaker per upstream: stop sending requests to a service that keeps failing.

closed ──(N consecutive failures)──> open ──(cool-down over)──> half-open
   ^                                   ^                            │
   └──────── probe succeeded ──────────┴──── probe failed ──────────┘

While open, requests fail fast (503) instead of each waiting for a refused
connection or a timeout; half-open lets exactly one probe through. A failure is
a connection error or a timeout, never an HTTP status: a service answering 500
is up. Pure and clock-injected, so every transition is tested without sockets.
"""

from __future__ import annotations

import enum
import time
from collections.abc import Callable

Clock = Callable[[], float]


class State(enum.Enum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


class CircuitBreaker:
    def __init__(
        self, *, failures: int = 5, cool_down_s: float = 10.0, clock: Clock = time.monotonic
    ) -> None:
        self._threshold = failures
        self._cool_down_s = cool_down_s
        self._clock = clock
        self._failures = 0
        self._opened_at = 0.0
        self._probe_started_at: float | None = None
        self.state = State.CLOSED

    def allow(self) -> bool:
        """May a request go to the upstream now? In half-open, True once, for the probe."""
        if self.state is State.CLOSED:
            return True
        now = self._clock()
        if self.state is State.OPEN and now - self._opened_at >= self._cool_down_s:
            self.state = State.HALF_OPEN
            self._probe_started_at = None
        if self.state is State.HALF_OPEN and self._probe_may_start(now):
            self._probe_started_at = now
            return True
        return False

    def _probe_may_start(self, now: float) -> bool:
        # A probe that never reported back (its caller vanished) must not wedge the breaker.
        started = self._probe_started_at
        return started is None or now - started >= self._cool_down_s

    def retry_after_s(self) -> float:
        """How long until a probe may go out (0 when requests flow)."""
        if self.state is State.CLOSED:
            return 0.0
        return max(0.0, self._opened_at + self._cool_down_s - self._clock())

    def succeeded(self) -> None:
        self._failures = 0
        self._probe_started_at = None
        self.state = State.CLOSED

    def failed(self) -> None:
        self._failures += 1
        if self.state is State.HALF_OPEN or self._failures >= self._threshold:
            self.state = State.OPEN
            self._opened_at = self._clock()
            self._probe_started_at = None

    def abandoned(self) -> None:
        """The request ended with neither verdict (the client left): free the probe slot."""
        if self.state is State.HALF_OPEN:
            self._probe_started_at = None
