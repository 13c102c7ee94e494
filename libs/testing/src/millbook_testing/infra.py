"""Session fixtures that bring up the test profile's PostgreSQL and Kafka.

They start what is not running and stop, at the end of the session, only what
they started; a developer's running test stack is reused as it is.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field

import psycopg
import pytest
from aiokafka import AIOKafkaConsumer
from psycopg import sql
from sqlalchemy import create_engine, text

from millbook_contracts.topics import IDENTITY_USER
from millbook_platform.db import Base
from millbook_platform.tables import OUTBOX_NOTIFY_SQL
from millbook_stack import api, control
from millbook_stack.profiles import Profile, find_repo_root, test_profile


@dataclass(frozen=True)
class Infra:
    profile: Profile
    kafka_bootstrap: str
    created: list[str] = field(default_factory=list)

    def scratch_database(self, prefix: str) -> str:
        """A new empty database owned by a non-superuser role (so RLS applies)."""
        name = f"{prefix}_{uuid.uuid4().hex[:10]}"
        self.created.append(name)
        return api.create_scratch_database(self.profile, name, owner=f"{prefix}_owner")

    def drop_scratch_databases(self) -> None:
        with psycopg.connect(api.admin_dsn(self.profile), autocommit=True) as conn:
            for name in self.created:
                conn.execute(
                    sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
                )

    def platform_database(self) -> str:
        """A new database holding only the platform's tables (outbox, inbox, idempotency)."""
        url = self.scratch_database("t_platform")
        engine = create_engine(url)
        with engine.begin() as conn:
            Base.metadata.create_all(conn)
            for statement in OUTBOX_NOTIFY_SQL:
                conn.execute(text(statement))
        engine.dispose()
        return url

    def migrated_database(self, service: str) -> str:
        """A new database with `service`'s migrations applied; returns its SQLAlchemy URL."""
        url = self.scratch_database(f"t_{service}")
        migrate(service, url)
        return url


def migrate(service: str, database_url: str) -> None:
    root = find_repo_root()
    env = {**os.environ, "MILLBOOK_DATABASE_URL": database_url}
    result = subprocess.run(  # noqa: S603 - our own interpreter and alembic
        [
            sys.executable,
            "-m",
            "alembic",
            "-c",
            f"services/{service}/alembic.ini",
            "upgrade",
            "heads",
        ],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"migrations of {service} failed:\n{result.stderr[-3000:]}")


WARMUP_GROUP = "millbook-test-warmup"
WARMUP_S = 120.0


def warm_group_coordinator(bootstrap: str) -> None:
    """A fresh broker creates its offsets topic and a group coordinator when the first group
    asks; a consumer test that meets that birth can stall for minutes. One throwaway group
    joins here first, bounded, in its own thread and loop; it never fails the session."""

    async def join_once() -> None:
        consumer = AIOKafkaConsumer(
            IDENTITY_USER.name,
            bootstrap_servers=bootstrap,
            group_id=WARMUP_GROUP,
            enable_auto_commit=False,
        )
        await consumer.start()
        try:
            deadline = asyncio.get_running_loop().time() + WARMUP_S
            while not consumer.assignment():
                if asyncio.get_running_loop().time() > deadline:
                    return
                await consumer.getmany(timeout_ms=500)
        finally:
            await asyncio.wait_for(consumer.stop(), 15)

    def run() -> None:
        try:
            asyncio.run(asyncio.wait_for(join_once(), WARMUP_S + 20))
        except Exception as exc:
            print(f"warning: Kafka's group coordinator did not warm up: {exc!r}", file=sys.stderr)

    worker = threading.Thread(target=run, name="kafka-warmup", daemon=True)
    worker.start()
    worker.join(WARMUP_S + 40)


def is_xdist_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


def is_xdist_controller(config: pytest.Config) -> bool:
    return bool(getattr(config.option, "numprocesses", None)) and not is_xdist_worker(config)


@contextlib.contextmanager
def stack_lock(profile: Profile, part: str = "infra") -> Iterator[None]:
    """Parallel workers of one run share one stack: whoever comes first starts a part of it
    (`infra`, `services`) while the others wait here, then find it running."""
    path = find_repo_root() / ".millbook" / f"{profile.state_dir.name}.{part}.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def keep_infra() -> bool:
    return bool(os.environ.get("MILLBOOK_KEEP_TEST_INFRA"))


def pytest_configure(config: pytest.Config) -> None:
    # Under pytest-xdist the workers start the stack on demand and the controller, which
    # outlives them, stops it at the end if it was not running before the run.
    if is_xdist_controller(config):
        config.stash[_RUNNING_BEFORE] = control.is_running(test_profile())


def pytest_unconfigure(config: pytest.Config) -> None:
    if _RUNNING_BEFORE in config.stash and not config.stash[_RUNNING_BEFORE] and not keep_infra():
        api.stop_infra(test_profile())


_RUNNING_BEFORE = pytest.StashKey[bool]()


@pytest.fixture(scope="session")
def infra(request: pytest.FixtureRequest) -> Iterator[Infra]:
    profile = test_profile()
    with stack_lock(profile):
        started = api.ensure_infra(profile)
        api.ensure_topics(profile)  # a kept stack learns topics added since it started
        infra = Infra(profile=profile, kafka_bootstrap=api.kafka_bootstrap(profile))
        warm_group_coordinator(infra.kafka_bootstrap)
    try:
        yield infra
    finally:
        infra.drop_scratch_databases()
        if started and not keep_infra() and not is_xdist_worker(request.config):
            api.stop_infra(profile)
