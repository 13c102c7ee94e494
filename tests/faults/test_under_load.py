"""Issue 10's fault suite: under a steady write load through the gateway, every process of
the stack is killed in turn, the broker is stopped for 30 s, a consumer is paused past its
session, and a duplicate and a poison event are put on a topic. Afterwards every
acknowledged write is where it belongs, once; the books balance; invoice numbers have no
gap; the dead-letter topics hold only the poison event; each killed service served again
within 5 s of its kill. Run by `make test-faults`; prints the recovery times and counts.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, date, datetime
from decimal import Decimal

import httpx
import pytest
from aiokafka import AIOKafkaConsumer

from millbook_contracts.envelope import Envelope, dataschema_for
from millbook_contracts.sales import OrderCompleted
from millbook_contracts.topics import DLQ_SUFFIX
from millbook_stack import api, kafka, postgres
from millbook_stack.profiles import SERVICES
from millbook_stack.status import read_status
from millbook_testing.kafka import produce, read_all, read_until
from millbook_testing.waiting import eventually

from ..e2e.test_faults import broker_frozen, pid_of
from .load import UNIT_PRICE, Load

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.timeout(3600)]

# Issue 10: a killed service serves again within 5 s (a loaded machine may say more).
RECOVERY_BUDGET_S = float(os.environ.get("MILLBOOK_FAULTS_RECOVERY_BUDGET_S", "5"))
BROKER_STOPPED_S = 30.0
# Past the consumers' 10 s session timeout: the group drops the paused member.
CONSUMER_PAUSED_S = 15.0
PAUSED_CONSUMER = "analytics"


async def test_under_load_every_fault_loses_nothing_and_doubles_nothing(stack, busy_admin):
    started_ms = int(time.time() * 1000)
    load = Load(stack.gateway, busy_admin)
    await load.start()
    recovered: dict[str, float] = {}
    try:
        await progress(load)
        for name in SERVICES:  # identity, sales, billing, purchasing, inbox, analytics, gateway
            recovered[name] = await kill_and_time(stack, name, service_serves(stack, name))
            await progress(load)
        recovered["kafka"] = await kill_and_time(stack, "kafka", broker_answers(stack))
        await progress(load)
        recovered["postgres"] = await kill_and_time(stack, "postgres", postgres_answers(stack))
        await progress(load)
        with broker_frozen(stack):
            await asyncio.sleep(BROKER_STOPPED_S)  # the fault is the time itself
        await progress(load)
        with process_paused(stack, PAUSED_CONSUMER):
            await asyncio.sleep(CONSUMER_PAUSED_S)
        await progress(load)
        duplicated = await redeliver_an_order_completed(stack, load)
        poison = await inject_poison(stack, busy_admin.organization_id)
        await progress(load)
        await load.stop()
    except BaseException:
        done = load.done
        print(
            f"\nrecovered so far: {recovered}; acknowledged {len(done.orders)} orders, "
            f"{len(done.payments)} payments, {len(done.users)} users; answers: "
            f"{dict(sorted(done.answers.items()))}",
            flush=True,
        )
        await load.abort()
        raise
    try:
        await check_the_outcome(stack, load, recovered, started_ms, duplicated, poison)
    finally:
        await load.abort()


async def check_the_outcome(
    stack, load: Load, recovered: dict[str, float], started_ms: int, duplicated: str, poison
) -> None:
    done = load.done
    invoices = await all_of(load, "/v1/invoices")
    users_counted = await eventually(
        lambda: user_count_through(load),
        lambda n: n >= len(done.users) + 1,
        within_s=180,
        every_s=0.5,
        what="every acknowledged user counted by analytics",
    )
    trial = await load.call(
        "GET", "/v1/reports/trial-balance", params={"as_of_date": date.today().isoformat()}
    )
    payments = await all_of(load, "/v1/payments")
    dead = await dead_letters_since(stack, started_ms)

    print(
        "\nrecovery after kill -9 (s): "
        + ", ".join(f"{name} {seconds:.1f}" for name, seconds in recovered.items())
        + f"\nacknowledged: {len(done.orders)} completed orders, {len(done.payments)} payments, "
        f"{len(done.users)} users; invoices {len(invoices)}, payments listed {len(payments)}, "
        f"users counted {users_counted - 1}; trial balance {trial['total_debit']} / "
        f"{trial['total_credit']}; dead letters {len(dead)}"
        f"\nanswers seen by the load: {dict(sorted(done.answers.items()))}"
    )

    per_order = Counter(invoice.get("order_id") for invoice in invoices)
    assert {order: per_order[order] for order in done.orders} == dict.fromkeys(done.orders, 1)
    assert len(invoices) == len(done.orders)  # no invoice without an acknowledged order
    assert duplicated in done.orders
    assert gap_free(invoice["invoice_number"] for invoice in invoices)
    assert len(done.payments) == len(done.orders)
    assert {p["id"] for p in payments} == set(done.payments.values())
    paid = {invoice["id"] for invoice in invoices if invoice["status"] == "paid"}
    assert paid == set(done.payments)
    assert users_counted == len(done.users) + 1  # the admin and each user, once
    assert Decimal(trial["total_debit"]) == Decimal(trial["total_credit"])
    assert Decimal(trial["total_debit"]) >= len(done.orders) * UNIT_PRICE
    assert dead
    assert {dead_letter_id(record) for record in dead} == {str(poison)}
    slow = {
        name: seconds
        for name, seconds in recovered.items()
        if name in SERVICES and seconds > RECOVERY_BUDGET_S
    }
    assert not slow, f"served again later than {RECOVERY_BUDGET_S}s after kill -9: {slow}"


# ---- the load


async def progress(load: Load, orders: int = 2, within_s: float = 240) -> None:
    """Wait until the load completed `orders` more orders: the stack works again."""
    target = len(load.done.orders) + orders

    async def completed() -> int:
        if (error := load.failed()) is not None:
            raise AssertionError(f"a writer stopped: {error!r}") from error
        return len(load.done.orders)

    await eventually(
        completed, lambda n: n >= target, within_s=within_s, every_s=0.2, what="load progressing"
    )


async def all_of(load: Load, path: str) -> list[dict]:
    found: list[dict] = []
    while True:
        page = await load.call("GET", path, params={"limit": "100", "offset": str(len(found))})
        found += page
        if len(page) < 100:
            return found


async def user_count_through(load: Load) -> int:
    counted = await load.call("GET", "/v1/analytics/users/count")
    return int(counted["count"])


def gap_free(numbers) -> bool:
    """INV-<year>-0001, -0002 ... with none missing and none twice."""
    sequence = sorted(int(re.fullmatch(r"INV-\d{4}-(\d+)", n).group(1)) for n in numbers)
    return sequence == list(range(1, len(sequence) + 1))


# ---- the faults


async def kill_and_time(stack, name: str, serves: Callable[[int], Awaitable[bool]]) -> float:
    """kill -9 the process; seconds until its successor serves."""
    old_pid = pid_of(stack, name)
    os.kill(old_pid, signal.SIGKILL)
    killed_at = time.monotonic()
    await eventually(
        lambda: serves(old_pid), within_s=300, every_s=0.05, what=f"{name} serving again"
    )
    seconds = time.monotonic() - killed_at
    print(f"\n{name} served again {seconds:.1f}s after kill -9", flush=True)
    return seconds


def restarted(stack, name: str, old_pid: int) -> bool:
    status = read_status(stack.profile.status_file)
    process = status.process(name) if status else None
    return process is not None and process.pid not in (None, old_pid)


def service_serves(stack, name: str) -> Callable[[int], Awaitable[bool]]:
    async def check(old_pid: int) -> bool:
        if not restarted(stack, name, old_pid):
            return False
        try:
            async with httpx.AsyncClient(timeout=1) as client:
                response = await client.get(f"{stack.url(name)}/health/ready")
        except httpx.HTTPError:
            return False
        return response.status_code == 200

    return check


def broker_answers(stack) -> Callable[[int], Awaitable[bool]]:
    async def check(old_pid: int) -> bool:
        return restarted(stack, "kafka", old_pid) and await asyncio.to_thread(
            kafka.answers_admin, stack.profile
        )

    return check


def postgres_answers(stack) -> Callable[[int], Awaitable[bool]]:
    async def check(old_pid: int) -> bool:
        return restarted(stack, "postgres", old_pid) and await asyncio.to_thread(
            postgres.accepts_connections, stack.profile
        )

    return check


@contextlib.contextmanager
def process_paused(stack, name: str) -> Iterator[None]:
    """SIGSTOP a service, SIGCONT it on the way out: its consumers neither poll nor beat."""
    pid = pid_of(stack, name)
    os.kill(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.kill(pid, signal.SIGCONT)


async def redeliver_an_order_completed(stack, load: Load) -> str:
    """Put one of the load's `sales.order.completed` events on its topic a second time."""
    order_id = next(iter(load.done.orders))
    bootstrap = api.kafka_bootstrap(stack.profile)

    def completed(record) -> bool:
        headers = dict(record.headers)
        return (
            record.key == order_id.encode() and headers.get("ce_type") == b"sales.order.completed"
        )

    records = await read_until(
        bootstrap, OrderCompleted.topic(), lambda rs: any(map(completed, rs))
    )
    original = next(r for r in records if completed(r))
    await produce(
        bootstrap, original.topic, original.value, key=original.key, headers=list(original.headers)
    )
    return order_id


async def inject_poison(stack, tenant_id: str) -> uuid.UUID:
    """A `sales.order.completed` whose payload is off its contract: no retry can fix it."""
    envelope = Envelope(
        id=uuid.uuid4(),
        source="/millbook/sales",
        type=OrderCompleted.event_type,
        subject=str(uuid.uuid4()),
        tenant_id=uuid.UUID(tenant_id),
        time=datetime.now(UTC),
        dataschema=dataschema_for(OrderCompleted.event_type, 1),
        data=b'{"order_id": "not an order"}',
    )
    await produce(
        api.kafka_bootstrap(stack.profile),
        OrderCompleted.topic(),
        envelope.data,
        key=envelope.subject.encode(),
        headers=envelope.to_headers(),
    )
    return envelope.id


async def dead_letters_since(stack, since_ms: int) -> list:
    """Every record put on any `<topic>.dlq` since `since_ms`, once the poison got there."""
    bootstrap = api.kafka_bootstrap(stack.profile)
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap)
    await consumer.start()
    try:
        topics = sorted(t for t in await consumer.topics() if t.endswith(DLQ_SUFFIX))
    finally:
        await consumer.stop()

    async def recent() -> list:
        found = []
        for topic in topics:
            found += [r for r in await read_all(bootstrap, topic) if r.timestamp >= since_ms]
        return found

    return await eventually(recent, bool, within_s=120, every_s=1, what="the poison dead-lettered")


def dead_letter_id(record) -> str:
    return dict(record.headers).get("ce_id", b"").decode()
