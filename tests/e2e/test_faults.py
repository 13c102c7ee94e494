"""Fault tests: kill a service between commit and publish, freeze the broker for 30 s.

Each asserts the user's view: every request that was answered 201 is eventually
counted by analytics, exactly once.
"""

import asyncio
import contextlib
import os
import signal
import time

import psycopg
import pytest

from millbook_stack import api
from millbook_stack.status import read_status
from millbook_testing.waiting import eventually

from .test_walking_skeleton import new_user, user_count

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def pid_of(stack, name: str) -> int:
    status = read_status(stack.profile.status_file)
    assert status is not None
    process = status.process(name)
    assert process is not None, f"{name} is not supervised"
    assert process.pid, f"{name} is not running"
    return process.pid


@contextlib.contextmanager
def broker_frozen(stack):
    """SIGSTOP the Kafka broker: connections hang, nothing is published, like a dead host."""
    pid = pid_of(stack, "kafka")
    os.kill(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.kill(pid, signal.SIGCONT)


def unpublished_user_events(stack, user_id: str) -> int:
    dsn = api.database_url(stack.profile, "identity").replace("+psycopg", "")
    with psycopg.connect(dsn) as conn:
        row = conn.execute(
            "SELECT count(*) FROM outbox WHERE event_type = 'identity.user.created' AND key = %s",
            (user_id,),
        ).fetchone()
    return row[0]


async def wait_until_restarted(stack, name: str, old_pid: int) -> None:
    async def new_pid() -> int | None:
        status = read_status(stack.profile.status_file)
        process = status.process(name) if status else None
        return process.pid if process and process.state == "running" else None

    await eventually(
        new_pid, lambda pid: pid not in (None, old_pid), within_s=60, what=f"{name} restarted"
    )


async def test_a_service_killed_between_commit_and_publish_loses_no_event(stack, gateway, admin):
    before = await eventually(lambda: user_count(gateway, admin), lambda n: n >= 1)
    identity_pid = pid_of(stack, "identity")
    with broker_frozen(stack):
        created = await gateway.post("/v1/users", json=new_user(), headers=admin.headers)
        assert created.status_code == 201, created.text
        user_id = created.json()["data"]["id"]
        assert unpublished_user_events(stack, user_id) == 1  # committed, not yet published
        os.kill(identity_pid, signal.SIGKILL)
    await wait_until_restarted(stack, "identity", identity_pid)
    await eventually(
        lambda: user_count(gateway, admin),
        lambda n: n == before + 1,
        within_s=90,
        what="the user created before the crash counted",
    )
    assert unpublished_user_events(stack, user_id) == 0


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
