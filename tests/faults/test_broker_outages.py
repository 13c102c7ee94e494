"""The broker stopped for 30 s, and killed and restarted by the supervisor: every user
created meanwhile is counted by analytics, once. Moved from the end-to-end suite (each
takes half a minute or more); the load test covers both again under a heavier load."""

import asyncio
import os
import signal
import time

import pytest

from millbook_testing.waiting import eventually

from ..e2e.test_faults import broker_frozen, pid_of, wait_until_restarted
from ..e2e.test_walking_skeleton import new_user, user_count

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


async def test_thirty_seconds_without_kafka_loses_nothing(stack, gateway, admin):
    before = await eventually(lambda: user_count(gateway, admin), lambda n: n >= 1)
    created = []
    with broker_frozen(stack):
        frozen_at = time.monotonic()
        while time.monotonic() - frozen_at < 30:
            response = await gateway.post("/v1/users", json=new_user(), headers=admin.headers)
            assert response.status_code == 201, response.text  # requests still commit
            created.append(response.json()["data"]["id"])
            await asyncio.sleep(3)  # requests keep arriving through the outage
    assert len(created) >= 8
    await eventually(
        lambda: user_count(gateway, admin),
        lambda n: n >= before + len(created),
        within_s=120,
        every_s=0.2,
        what="the backlog drained into analytics",
    )
    assert await user_count(gateway, admin) == before + len(created)  # once each


async def test_a_broker_killed_and_restarted_by_the_supervisor_loses_nothing(stack, gateway, admin):
    before = await eventually(lambda: user_count(gateway, admin), lambda n: n >= 1)
    kafka_pid = pid_of(stack, "kafka")
    os.kill(kafka_pid, signal.SIGKILL)
    created = await gateway.post("/v1/users", json=new_user(), headers=admin.headers)
    assert created.status_code == 201, created.text
    await wait_until_restarted(stack, "kafka", kafka_pid)
    await eventually(
        lambda: user_count(gateway, admin),
        lambda n: n == before + 1,
        within_s=120,
        every_s=0.2,
        what="the user created while Kafka was down counted",
    )
