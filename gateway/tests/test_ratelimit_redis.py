"""The Redis counters, against a real redis-server: one budget for several gateways."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack

import httpx
import pytest
from redis.asyncio import Redis

from millbook_gateway.main import build_app
from millbook_gateway.ratelimit import Quota, Window
from millbook_gateway.ratelimit_redis import RedisCounters

from .conftest import (
    SMALL_ORG,
    Stack,
    clear_of_a_minute_boundary,
    closed_port,
    serving,
    token_headers,
)


@pytest.fixture
async def two_gateways(stack: Stack, redis_url: str) -> AsyncIterator[list[httpx.AsyncClient]]:
    async with AsyncExitStack() as running:
        clients = []
        for _ in range(2):
            app = build_app(stack.settings_with(redis_url=redis_url))
            url = await running.enter_async_context(serving(app, lifespan="on"))
            clients.append(await running.enter_async_context(httpx.AsyncClient(base_url=url)))
        yield clients


async def test_two_gateways_spend_one_budget(
    stack: Stack, two_gateways: list[httpx.AsyncClient]
) -> None:
    first, second = two_gateways
    user = token_headers(stack.signer, tid=SMALL_ORG)  # 3 a minute
    await clear_of_a_minute_boundary()

    statuses = [
        (await gateway.get("/v1/invoices", headers=user)).status_code
        for gateway in (first, second, first, second, first)
    ]
    remaining = [(await g.get("/v1/invoices", headers=user)).headers for g in two_gateways]

    assert statuses == [200, 200, 200, 429, 429]
    assert [h["x-ratelimit-remaining"] for h in remaining] == ["0", "0"]


async def test_racing_requests_never_overspend_the_shared_budget(
    stack: Stack, two_gateways: list[httpx.AsyncClient]
) -> None:
    user = token_headers(stack.signer, tid=SMALL_ORG)
    await clear_of_a_minute_boundary()

    responses = await asyncio.gather(
        *(two_gateways[n % 2].get("/v1/invoices", headers=user) for n in range(12))
    )

    assert sorted(r.status_code for r in responses) == [200] * 3 + [429] * 9


async def test_counters_expire_with_their_window(redis_url: str) -> None:
    counters = RedisCounters(Redis.from_url(redis_url), clock=lambda: 1_767_261_630.0)
    quota = Quota("user:expiry-check", Window(5, 60))

    decision = await counters.hit([quota])
    redis = Redis.from_url(redis_url)
    ttl = await redis.ttl("millbook:ratelimit:{user:expiry-check}:60:1767261600")
    await redis.aclose()
    await counters.aclose()

    assert (decision.allowed, decision.remaining, decision.reset_at) == (True, 4, 1767261660)
    assert 60 < ttl <= 120


async def test_while_redis_is_unreachable_each_gateway_counts_on_its_own(
    stack: Stack,
) -> None:
    app = build_app(stack.settings_with(redis_url=f"redis://127.0.0.1:{closed_port()}/0"))
    user = token_headers(stack.signer, tid=SMALL_ORG)
    await clear_of_a_minute_boundary()
    async with serving(app, lifespan="on") as url, httpx.AsyncClient(base_url=url) as client:
        statuses = [(await client.get("/v1/invoices", headers=user)).status_code for _ in range(4)]

    assert statuses == [200, 200, 200, 429]
