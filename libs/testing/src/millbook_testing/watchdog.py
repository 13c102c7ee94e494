"""Before pytest-timeout fails a test, print where every asyncio task is waiting.

pytest-timeout's own dump shows threads; a test on an asyncio loop shows only its
loop in select(), which says nothing about the task that hangs. This prints each
pending task's stack a little before the timeout fires, so a hang seen once in CI
can be diagnosed from its log.
"""

from __future__ import annotations

import asyncio
import sys
import threading
from collections.abc import Iterator

import pytest

MARGIN_S = 20.0


def dump_pending_tasks() -> None:
    tasks = [task for task in list(asyncio.tasks._all_tasks) if not task.done()]  # type: ignore[attr-defined]
    print(f"\n--- {len(tasks)} pending asyncio tasks before the timeout ---", file=sys.stderr)
    for task in tasks:
        print(f"{task!r}", file=sys.stderr)
        task.print_stack(limit=12, file=sys.stderr)


@pytest.fixture(autouse=True)
def _tasks_dumped_before_the_timeout(request: pytest.FixtureRequest) -> Iterator[None]:
    marker = request.node.get_closest_marker("timeout")
    raw = marker.args[0] if marker and marker.args else request.config.getini("timeout")
    timeout = float(raw or 0)
    if timeout <= MARGIN_S:
        yield
        return
    timer = threading.Timer(timeout - MARGIN_S, dump_pending_tasks)
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        timer.cancel()
