"""Seed 003's request limits and the circuit breaker, through running gateways."""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

import httpx

from millbook_gateway.main import build_app
from millbook_testing.waiting import eventually

from .conftest import Stack, closed_port, echo_app, serving
from .test_proxy_integration import assert_envelope, unique


async def test_a_url_over_8_kb_is_414(
    stack: Stack, client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    path = unique("/v1/customers")
    response = await client.get(path, params={"q": "x" * 8200}, headers=auth)

    assert_envelope(response, 414, "VALIDATION_ERROR")
    assert stack.calls_to(path) == []


async def test_headers_over_32_kb_are_431_and_just_under_pass(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    under = {f"x-pad-{i}": "v" * 1000 for i in range(30)}
    over = {f"x-pad-{i}": "v" * 1000 for i in range(33)}

    assert (await client.get("/v1/customers", headers={**auth, **under})).status_code == 200
    response = await client.get("/v1/customers", headers={**auth, **over})
    assert_envelope(response, 431, "VALIDATION_ERROR")


async def test_more_than_50_query_parameters_is_422(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    params = {f"p{i}": "1" for i in range(51)}
    response = await client.get("/v1/customers", params=params, headers=auth)

    error = assert_envelope(response, 422, "VALIDATION_ERROR")
    assert error["details"][0]["field"] == "query"


async def test_a_batch_of_101_items_is_422_and_100_reach_the_service_intact(
    stack: Stack, client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    too_big = unique("/v1/customers") + "/batch"
    fits = unique("/v1/customers") + "/batch"
    body = json.dumps({"items": [{"name": f"c{i}"} for i in range(100)]}).encode()

    refused = await client.post(too_big, json=[{"name": "c"}] * 101, headers=auth)
    admitted = await client.post(fits, content=body, headers=auth)

    error = assert_envelope(refused, 422, "VALIDATION_ERROR")
    assert error["details"][0]["field"] == "items"
    assert stack.calls_to(too_big) == []
    assert admitted.status_code == 200
    assert admitted.json()["body_sha256"] == hashlib.sha256(body).hexdigest()


@asynccontextmanager
async def gateway_over(stack: Stack, **settings: object) -> AsyncIterator[httpx.AsyncClient]:
    app = build_app(stack.settings_with(**settings))
    async with serving(app, lifespan="on") as url, httpx.AsyncClient(base_url=url) as client:
        yield client


async def test_the_breaker_opens_after_five_failures_fails_fast_then_recovers(
    stack: Stack, auth: dict[str, str]
) -> None:
    port = closed_port()
    upstreams = {**stack.upstreams, "purchasing": f"http://127.0.0.1:{port}"}
    async with AsyncExitStack() as running:
        client = await running.enter_async_context(
            gateway_over(stack, upstreams=upstreams, breaker_cool_down_s=0.5)
        )
        for _ in range(5):
            assert_envelope(
                await client.get("/v1/materials", headers=auth), 503, "UPSTREAM_UNAVAILABLE"
            )

        calls: list[dict[str, object]] = []
        await running.enter_async_context(serving(echo_app("purchasing", calls, None), port=port))
        open_circuit = await client.get("/v1/materials", headers=auth)

        # The service is back, but the circuit is open: no request reaches it yet.
        error = assert_envelope(open_circuit, 503, "UPSTREAM_UNAVAILABLE")
        assert "purchasing" in error["message"]
        assert open_circuit.headers["retry-after"] == "1"
        assert calls == []

        async def status() -> int:
            return (await client.get("/v1/materials", headers=auth)).status_code

        await eventually(status, lambda code: code == 200, within_s=5, every_s=0.1)
        assert [await status() for _ in range(3)] == [200, 200, 200]
