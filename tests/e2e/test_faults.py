"""Fault tests, the fast subset in `make test`: kill a service between commit and publish,
kill PostgreSQL, kill sales between its commit and its response. The slow ones (the broker
stopped for 30 s or killed, and every fault under a write load) are in tests/faults, run
by `make test-faults`.

Each asserts the user's view: every request that was answered 201 is eventually
counted by analytics, exactly once; after PostgreSQL comes back, every outbox relay
leads and listens again, so events leave at commit, not on the fallback poll.
"""

import asyncio
import contextlib
import os
import signal
import statistics
import time
from collections import Counter
from datetime import UTC, datetime

import psycopg
import pytest

from millbook_contracts.envelope import Envelope
from millbook_platform.outbox import RELAY_LOCK_KEY
from millbook_stack import api
from millbook_stack.profiles import SERVICES_WITH_DB
from millbook_stack.status import read_status
from millbook_testing.kafka import read_until
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


async def wait_until_restarted(stack, name: str, old_pid: int, within_s: float = 60) -> None:
    async def new_pid() -> int | None:
        status = read_status(stack.profile.status_file)
        process = status.process(name) if status else None
        return process.pid if process and process.state == "running" else None

    await eventually(
        new_pid, lambda pid: pid not in (None, old_pid), within_s=within_s, what=f"{name} restarted"
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


PUBLISHERS = {name for name in SERVICES_WITH_DB if name != "analytics"}  # analytics only reads


def databases_with_a_relay_leader(stack) -> set[str]:
    """Service databases in which some backend holds the outbox relay's lock."""
    try:
        with psycopg.connect(api.admin_dsn(stack.profile), connect_timeout=2) as conn:
            rows = conn.execute(
                """
                SELECT d.datname FROM pg_locks l JOIN pg_database d ON d.oid = l.database
                WHERE l.locktype = 'advisory' AND l.classid = 0 AND l.objid = %s
                  AND l.objsubid = 1 AND l.granted
                """,
                (RELAY_LOCK_KEY,),
            ).fetchall()
    except psycopg.OperationalError:
        return set()  # not accepting connections yet
    return {name for (name,) in rows}


async def relays_leading_by_their_metric(gateway, stack) -> set[str]:
    leading = set()
    for name in PUBLISHERS:
        with contextlib.suppress(Exception):
            metrics = await gateway.get(f"{stack.url(name)}/metrics")
            if f'millbook_outbox_relay_leading{{service="{name}"}} 1.0' in metrics.text:
                leading.add(name)
    return leading


async def commit_to_kafka_ms(stack, gateway, admin) -> float:
    """Create a user; how long its event took from the request's write to the broker."""
    created = await gateway.post("/v1/users", json=new_user(), headers=admin.headers)
    assert created.status_code == 201, created.text
    key = created.json()["data"]["id"].encode()
    records = await read_until(
        api.kafka_bootstrap(stack.profile),
        "identity.user",
        lambda rs: any(r.key == key for r in rs),
    )
    record = next(r for r in records if r.key == key)
    envelope = Envelope.from_kafka(record.headers, record.value)
    sent = datetime.fromtimestamp(record.timestamp / 1000, UTC)
    return (sent - envelope.time).total_seconds() * 1000


async def answers_until(done: asyncio.Task, stack, gateway, admin) -> list[tuple[int, bool]]:
    """Statuses of a read from sales itself (not the gateway) repeated until `done`, each
    with whether it said Retry-After."""
    answers = []
    while not done.done():
        response = await gateway.get(f"{stack.url('sales')}/v1/customers", headers=admin.headers)
        answers.append((response.status_code, "retry-after" in response.headers))
        if response.status_code == 503:
            assert response.json()["error"]["code"] == "UPSTREAM_UNAVAILABLE"
        await asyncio.sleep(0.05)
    return answers


async def test_after_postgresql_is_killed_every_relay_leads_and_listens_again(
    stack, gateway, admin
):
    assert databases_with_a_relay_leader(stack) >= PUBLISHERS
    postgres_pid = pid_of(stack, "postgres")
    os.kill(postgres_pid, signal.SIGKILL)
    killed_at = time.monotonic()
    restarted = asyncio.create_task(wait_until_restarted(stack, "postgres", postgres_pid))
    answers = await answers_until(restarted, stack, gateway, admin)
    await restarted
    await eventually(
        lambda: asyncio.to_thread(databases_with_a_relay_leader, stack),
        lambda leaders: leaders >= PUBLISHERS,
        within_s=60,
        every_s=0.1,
        what="every service's relay holding its lock again",
    )
    leading_again_s = time.monotonic() - killed_at
    assert {status for status, _ in answers} <= {200, 503}, answers  # never a 500
    assert all(retry for status, retry in answers if status == 503)
    assert await relays_leading_by_their_metric(gateway, stack) == PUBLISHERS
    latencies = [await commit_to_kafka_ms(stack, gateway, admin) for _ in range(7)]
    print(
        f"\nwhile PostgreSQL was down: {sorted(Counter(s for s, _ in answers).items())}; "
        f"every relay led again after {leading_again_s:.1f}s; "
        f"commit -> Kafka after recovery: p50 {statistics.median(latencies):.0f} ms, "
        f"max {max(latencies):.0f} ms"
    )
    assert statistics.median(latencies) < 300  # at commit (NOTIFY), not on the 1 s poll


# ---- a service killed after its commit, before its response left


@contextlib.contextmanager
def sales_commits_held(stack):
    """Sales' commits stay in flight: each waits for a synchronous standby that never comes.

    The commit is already durable locally; it only cannot return. New sessions of the
    sales role wait (its pool is reconnected); releasing the hold completes them.
    """
    statements = [
        "ALTER SYSTEM SET synchronous_standby_names = 'nobody'",
        "ALTER ROLE sales SET synchronous_commit = 'on'",
        "SELECT pg_reload_conf()",
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = 'sales'",
    ]
    with psycopg.connect(api.admin_dsn(stack.profile), autocommit=True) as conn:
        for statement in statements:
            conn.execute(statement)
    try:
        yield
    finally:
        with psycopg.connect(api.admin_dsn(stack.profile), autocommit=True) as conn:
            conn.execute("ALTER ROLE sales RESET synchronous_commit")
            conn.execute("ALTER SYSTEM RESET synchronous_standby_names")
            conn.execute("SELECT pg_reload_conf()")


def sales_commits_waiting(stack) -> int:
    with psycopg.connect(api.admin_dsn(stack.profile)) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = 'sales' AND wait_event = 'SyncRep'"
        ).fetchone()
    return row[0]


async def confirmed_order(gateway, admin) -> dict:
    async def created(path: str, body: dict | None = None) -> dict:
        response = await gateway.post(path, json=body, headers=admin.headers)
        assert response.status_code in (200, 201), response.text
        return response.json()["data"]

    customer = await created("/v1/customers", {"name": "Crash Test Tooling"})
    line = {"product_name": "Bracket", "quantity": 2, "unit_price": "10.00"}
    quotation = await created(
        "/v1/quotations", {"customer_id": customer["id"], "line_items": [line]}
    )
    await created(f"/v1/quotations/{quotation['id']}/send")
    await created(f"/v1/quotations/{quotation['id']}/accept")
    return await created("/v1/orders", {"quotation_id": quotation["id"]})


async def test_a_retry_after_sales_died_between_commit_and_response_gets_the_outcome(
    stack, gateway, admin
):
    order = await confirmed_order(gateway, admin)
    start = f"/v1/orders/{order['id']}/start-production"
    headers = {**admin.headers, "Idempotency-Key": f"crash-{order['id']}"}
    sales_pid = pid_of(stack, "sales")
    with sales_commits_held(stack):
        first = asyncio.create_task(gateway.post(start, headers=headers))
        await eventually(
            lambda: asyncio.to_thread(sales_commits_waiting, stack),
            lambda n: n >= 1,
            what="sales' commit in flight",
        )
        os.kill(sales_pid, signal.SIGKILL)  # committed, but the response never leaves
    lost = await first
    assert lost.status_code >= 500  # the client never learned the outcome
    await wait_until_restarted(stack, "sales", sales_pid, within_s=300)  # a slow machine
    started = time.monotonic()
    retry = await gateway.post(start, headers=headers)
    print(
        f"\nfirst attempt: {lost.status_code}; retry with the same key: {retry.status_code} "
        f"in {time.monotonic() - started:.2f}s"
    )
    assert retry.status_code == 200, retry.text
    assert retry.headers.get("idempotent-replayed") == "true"
    assert retry.json()["data"]["status"] == "in_production"
