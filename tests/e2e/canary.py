"""Secret canaries: remember every secret a test made, then look for each one everywhere
the stack keeps or says something, where none of them may ever be seen in clear.

A test adds each secret once (`canary.add("webhook secret", value)`), lets the client it
drives the gateway with record every response (`canary.record` as an httpx response
hook), marks the responses that are meant to show a secret (`canary.allow(response)`:
an API key's creation, a login), and ends with `assert await canary.sweep(stack) == []`.
The sweep reads every message of every Kafka topic (values, keys and headers), every
row of every table of identity's database and the `outbox` and `idempotency_keys` of
every service, every file in the stack's logs folder, every process's `/metrics`, and
every other response body and header. A hit names the secret's label and where it was
seen, never its value.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psycopg
from aiokafka import AIOKafkaConsumer, TopicPartition
from psycopg import sql

from millbook_stack import api
from millbook_stack.profiles import SERVICES_WITH_DB

# Tables every service has that keep what passed through it (events, stored responses).
KEPT_IN_EVERY_SERVICE = ("outbox", "idempotency_keys")
# Identity holds the secrets' hashes: every one of its tables is read in full.
READ_IN_FULL = "identity"


@dataclass
class Canary:
    secrets: dict[str, str] = field(default_factory=dict)
    responses: list[httpx.Response] = field(default_factory=list)
    allowed: set[int] = field(default_factory=set)
    # How many things of each kind the sweep read: a sweep that read nothing proves nothing.
    looked_at: Counter[str] = field(default_factory=Counter)

    def add(self, label: str, value: str) -> str:
        """Remember a secret under a label (the label, not the value, names a hit)."""
        assert len(value) >= 8, f"{label}: too short to be told apart from other text"
        self.secrets[label] = value
        return value

    async def record(self, response: httpx.Response) -> None:
        """An httpx response hook: keep every response the test received."""
        await response.aread()
        self.responses.append(response)

    def allow(self, response: httpx.Response) -> httpx.Response:
        """This response is the one meant to show its secret (create, login, rotate)."""
        self.allowed.add(id(response))
        return response

    def hits(self, where: str, text: str | bytes | None, kind: str = "") -> list[str]:
        if kind:
            self.looked_at[kind] += 1
        if not text:
            return []
        if isinstance(text, bytes):
            text = text.decode("utf-8", "replace")
        return [f"{label} in {where}" for label, value in self.secrets.items() if value in text]

    async def sweep(self, stack: Any) -> list[str]:
        """Every place a secret was seen in clear; empty when none was. `looked_at`
        counts what it read."""
        profile = stack.profile
        return [
            *await kafka_hits(self, api.kafka_bootstrap(profile)),
            *await asyncio.to_thread(database_hits, self, profile),
            *log_hits(self, profile.logs_dir),
            *await metrics_hits(self, profile),
            *response_hits(self),
        ]


def response_hits(canary: Canary) -> list[str]:
    found = []
    for response in canary.responses:
        if id(response) in canary.allowed:
            continue
        where = f"the response to {response.request.method} {response.request.url.path}"
        headers = "\n".join(f"{k}: {v}" for k, v in response.headers.items())
        found += canary.hits(where, headers, "responses") + canary.hits(where, response.content)
    return found


async def metrics_hits(canary: Canary, profile: Any) -> list[str]:
    """Every metric (its labels and values) of every service and the gateway."""
    found = []
    async with httpx.AsyncClient(timeout=30) as http:
        for name in profile.service_ports:
            metrics = await http.get(f"{api.service_url(profile, name)}/metrics")
            assert metrics.status_code == 200, f"{name}/metrics: {metrics.status_code}"
            found += canary.hits(f"{name}'s /metrics", metrics.text, "metrics pages")
    return found


def log_hits(canary: Canary, logs_dir: Path) -> list[str]:
    found = []
    for path in sorted(p for p in logs_dir.rglob("*") if p.is_file()):
        found += canary.hits(f"log {path.relative_to(logs_dir)}", path.read_bytes(), "log files")
    return found


async def kafka_hits(canary: Canary, bootstrap: str) -> list[str]:
    """Every message on every topic of the broker, from the beginning to the end now."""
    listing = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None)
    await listing.start()
    try:
        topics = sorted(t for t in await listing.topics() if not t.startswith("__"))
    finally:
        await listing.stop()
    assert topics, "the broker has no topic: the sweep would prove nothing"
    consumer = AIOKafkaConsumer(
        *topics,
        bootstrap_servers=bootstrap,
        group_id=None,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    found: list[str] = []
    try:
        partitions = [
            TopicPartition(topic, p)
            for topic in topics
            for p in sorted(consumer.partitions_for_topic(topic) or [])
        ]
        ends = await consumer.end_offsets(partitions)
        async with asyncio.timeout(120):
            while not await _reached(consumer, ends):
                for records in (await consumer.getmany(timeout_ms=500, max_records=5000)).values():
                    for record in records:
                        found += _record_hits(canary, record)
    finally:
        await consumer.stop()
    return found


async def _reached(consumer: AIOKafkaConsumer, ends: dict[TopicPartition, int]) -> bool:
    for partition, end in ends.items():
        if await consumer.position(partition) < end:
            return False
    return True


def _record_hits(canary: Canary, record: Any) -> list[str]:
    where = f"kafka {record.topic}@{record.partition}:{record.offset}"
    headers = b"\n".join(name.encode() + b": " + (value or b"") for name, value in record.headers)
    return (
        canary.hits(where, record.value, "kafka messages")
        + canary.hits(f"{where} key", record.key)
        + canary.hits(f"{where} headers", headers)
    )


def database_hits(canary: Canary, profile: Any) -> list[str]:
    found = []
    for service in SERVICES_WITH_DB:
        dsn = api.database_url(profile, service).replace("+psycopg", "")
        with psycopg.connect(dsn) as conn:
            conn.execute("SELECT set_config('app.all_tenants', 'on', false)")
            tables = _tables(conn) if service == READ_IN_FULL else KEPT_IN_EVERY_SERVICE
            for table in tables:
                for row in conn.execute(sql.SQL("SELECT * FROM {}").format(sql.Identifier(table))):
                    where = f"{service}.{table}"
                    found += canary.hits(where, _row_text(row), f"{service} rows")
    return found


def _tables(conn: psycopg.Connection) -> list[str]:
    rows = conn.execute(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
    )
    return [name for (name,) in rows]


def _row_text(row: Iterable[object]) -> str:
    return "\n".join(_text(value) for value in row)


def _text(value: object) -> str:
    if isinstance(value, memoryview):
        value = bytes(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)
