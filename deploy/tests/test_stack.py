"""The real thing: PostgreSQL, Kafka and a supervisor with two fake services.

A throwaway profile (own ports, own state folder) so it never touches a
developer's dev or test stack. About 15 s when the Kafka jars are cached.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import psycopg
import pytest
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from millbook_stack import api, control
from millbook_stack.postgres import role_dsn
from millbook_stack.processes import pid_alive
from millbook_stack.profiles import Profile
from millbook_stack.services import ServiceSpec, service_env
from millbook_stack.status import StackStatus, read_status

FAKE_SERVICE = Path(__file__).with_name("fake_service.py")
FAKES = ("fake-a", "fake-b")


@pytest.fixture(scope="module")
def profile() -> Iterator[Profile]:
    # mkdtemp makes a 0700 folder; the PostgreSQL account must be able to enter it.
    state_dir = Path(tempfile.mkdtemp(prefix="millbook-it-"))
    state_dir.chmod(0o755)
    ports = {"fake-a": 16481, "fake-b": 16482, "identity": 16483, "gateway": 16480}
    profile = Profile("it", state_dir, 16432, 16492, 16493, ports, durable=False)
    try:
        yield profile
    finally:
        api.stop_all(profile)
        shutil.rmtree(state_dir, ignore_errors=True)


def fake_spec(profile: Profile, name: str, migrations_log: Path) -> ServiceSpec:
    port = profile.service_ports[name]
    env = {**service_env(profile, "identity"), "MILLBOOK_SERVICE_NAME": name}
    return ServiceSpec(
        name=name,
        port=port,
        command=[sys.executable, str(FAKE_SERVICE), str(port)],
        migrate=[sys.executable, str(FAKE_SERVICE), "--migrate", str(migrations_log)],
        env=env,
    )


def wait_for(condition: Callable[[], StackStatus | None], timeout: float) -> StackStatus:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = condition()
        if found is not None:
            return found
        time.sleep(0.1)
    raise AssertionError(f"condition not met within {timeout} s")


def describe_retention(profile: Profile, topic: str) -> str:
    async def describe() -> str:
        admin = AIOKafkaAdminClient(bootstrap_servers=api.kafka_bootstrap(profile))
        await admin.start()
        try:
            resource = ConfigResource(ConfigResourceType.TOPIC, topic)
            responses = await admin.describe_configs([resource])
        finally:
            await admin.close()
        entries = responses[0].resources[0][4]
        return str(next(entry[1] for entry in entries if entry[0] == "retention.ms"))

    return asyncio.run(describe())


def process_tree(root: int) -> set[int]:
    """root and all its descendants, from ps."""
    lines = subprocess.run(
        ["ps", "-eo", "pid=,ppid="], capture_output=True, text=True, check=True
    ).stdout.split("\n")
    children: dict[int, list[int]] = {}
    for line in filter(None, (line.split() for line in lines)):
        children.setdefault(int(line[1]), []).append(int(line[0]))
    found, todo = set(), [root]
    while todo:
        pid = todo.pop()
        found.add(pid)
        todo += children.get(pid, [])
    return found


def test_infra_services_restart_and_clean_stop(profile: Profile):
    assert api.ensure_infra(profile) is True
    assert api.ensure_infra(profile) is False, "a running stack is reused"

    # A service role logs in to its own database, is no superuser, and owns it.
    with psycopg.connect(role_dsn(profile, "sales")) as conn:
        row = conn.execute(
            "SELECT current_user, rolsuper, pg_get_userbyid(datdba) FROM pg_roles, pg_database "
            "WHERE rolname = current_user AND datname = current_database()"
        ).fetchone()
        assert row == ("sales", False, "sales")
        conn.execute("CREATE TABLE orders (id int)")

    scratch = api.create_scratch_database(profile, "t_scratch", owner="t_owner")
    assert scratch == "postgresql+psycopg://t_owner@127.0.0.1:16432/t_scratch"
    assert describe_retention(profile, "sales.order") == "-1"
    assert describe_retention(profile, "sales.order.dlq") == "-1"

    migrations_log = profile.state_dir / "migrations.log"
    specs = [fake_spec(profile, name, migrations_log) for name in FAKES]
    api.start_services(profile, specs=specs, timeout=30)
    assert sorted(migrations_log.read_text().split()) == sorted(FAKES)
    env = httpx.get(api.service_url(profile, "fake-a") + "/env").json()
    assert env["MILLBOOK_SERVICE_NAME"] == "fake-a"
    assert env["MILLBOOK_KAFKA_BOOTSTRAP_SERVERS"] == "127.0.0.1:16492"

    status = read_status(profile.status_file)
    assert status is not None
    victim = status.process("fake-a")
    assert victim is not None
    assert victim.pid is not None
    old_pid = victim.pid
    os.kill(old_pid, signal.SIGKILL)

    def restarted() -> StackStatus | None:
        current = read_status(profile.status_file)
        entry = current.process("fake-a") if current else None
        if entry and entry.restarts == 1 and entry.state == "running" and entry.pid != old_pid:
            return current
        return None

    status = wait_for(restarted, timeout=15)
    other = status.process("fake-b")
    assert other is not None
    assert other.restarts == 0

    supervisor = control.supervisor_pid(profile)
    assert supervisor is not None
    ours = process_tree(supervisor)
    assert len(ours) >= 1 + 2 + 2  # supervisor, postgres (+ its workers), kafka, 2 fakes

    assert api.stop_all(profile) is True
    left = {pid for pid in ours if pid_alive(pid)}
    assert not left, f"left behind: {left}"
    assert not profile.pid_file.exists()
    final = read_status(profile.status_file)
    assert final is not None
    assert {p.state for p in final.processes} == {"stopped"}
    assert api.stop_all(profile) is False, "stopping twice is a no-op"
