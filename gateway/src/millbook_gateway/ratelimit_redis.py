"""Rate-limit counters in Redis, so every gateway instance spends one shared budget.

One Lua script reads every quota's counter and increments them only if all have
room: the check and the count are one atomic step, however many gateways race.
The script returns the counts it found; the same pure `decide` turns them into
the decision and headers the in-process counters would give.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence

from redis.asyncio import Redis
from redis.exceptions import RedisError

from millbook_gateway.ratelimit import Clock, Decision, MemoryCounters, Quota, decide

log = logging.getLogger("millbook.gateway.ratelimit")

# KEYS: one counter per quota. ARGV: the limits, then each counter's time to live.
HIT_SCRIPT = """
local used = {}
for i = 1, #KEYS do
  used[i] = tonumber(redis.call('GET', KEYS[i]) or '0')
end
for i = 1, #KEYS do
  if used[i] >= tonumber(ARGV[i]) then
    return used
  end
end
for i = 1, #KEYS do
  if redis.call('INCR', KEYS[i]) == 1 then
    redis.call('EXPIRE', KEYS[i], ARGV[#KEYS + i])
  end
end
return used
"""
# A counter outlives its window a little, so clock skew between gateways cannot revive it.
EXPIRY_SLACK_S = 60
TIMEOUT_S = 0.25


def redis_key(quota: Quota, now: float) -> str:
    # The hash tag keeps all of a subject's counters in one Redis Cluster slot.
    window = quota.window
    return f"millbook:ratelimit:{{{quota.subject}}}:{window.seconds}:{window.start(now)}"


class RedisCounters:
    """Counts in Redis; while Redis is unreachable, this instance counts on its own."""

    def __init__(self, redis: Redis, *, clock: Clock = time.time) -> None:
        self._redis = redis
        self._clock = clock
        self._script = redis.register_script(HIT_SCRIPT)
        self._fallback = MemoryCounters(clock)

    @classmethod
    def from_url(cls, url: str) -> RedisCounters:
        redis = Redis.from_url(url, socket_timeout=TIMEOUT_S, socket_connect_timeout=TIMEOUT_S)
        return cls(redis)

    async def hit(self, quotas: Sequence[Quota]) -> Decision:
        now = self._clock()
        keys = [redis_key(q, now) for q in quotas]
        limits = [q.window.limit for q in quotas]
        ttls = [q.window.seconds + EXPIRY_SLACK_S for q in quotas]
        try:
            used = await self._script(keys=keys, args=[*limits, *ttls])
        except (RedisError, OSError) as exc:
            # Failing closed would take the whole API down with the cache; per-instance
            # limits still stop a runaway client.
            log.warning("rate-limit counters unreachable in Redis (%s); counting locally", exc)
            return await self._fallback.hit(quotas)
        return decide(quotas, [int(n) for n in used], now)

    async def aclose(self) -> None:
        await self._redis.aclose()
