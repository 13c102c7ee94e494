"""Waiting for state that has no event to await (rows in a table, a count over HTTP)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


async def eventually(
    probe: Callable[[], Awaitable[T]],
    accept: Callable[[T], bool] = bool,
    *,
    within_s: float = 20.0,
    every_s: float = 0.02,
    what: str = "condition",
) -> T:
    """Probe until `accept(result)`; fail with the last result at the deadline."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within_s
    while True:
        result = await probe()
        if accept(result):
            return result
        if loop.time() > deadline:
            raise AssertionError(f"{what} not reached within {within_s}s; last: {result!r}")
        await asyncio.sleep(every_s)
