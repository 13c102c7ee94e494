"""Helpers every service's Alembic environment and first migration use."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import context, op
from sqlalchemy import MetaData, pool, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from millbook_platform.db import Base
from millbook_platform.tables import OUTBOX_NOTIFY_SQL


def create_platform_tables() -> None:
    """Create outbox, processed_events and idempotency_keys inside a migration.

    Spelled out rather than created from the models, so a service's first
    migration stays what it was when the platform tables change later (a change
    comes as a new function that services call from a new migration).
    """
    op.create_table(
        "outbox",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("topic", sa.String(200), nullable=False),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("event_type", sa.String(200), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("headers", JSONB(), nullable=False),
        sa.Column("payload", sa.LargeBinary(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("clock_timestamp()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name="pk_outbox"),
        sa.UniqueConstraint("event_id", name="uq_outbox_event_id"),
    )
    op.create_table(
        "processed_events",
        sa.Column("consumer", sa.String(100), nullable=False),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("event_type", sa.String(200), nullable=False),
        sa.Column(
            "processed_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("consumer", "event_id", name="pk_processed_events"),
    )
    op.create_table(
        "idempotency_keys",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("request_hash", sa.String(64), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("response_body", sa.LargeBinary(), nullable=True),
        sa.Column("response_headers", JSONB(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "key", name="pk_idempotency_keys"),
    )
    op.create_index("ix_idempotency_keys_expires_at", "idempotency_keys", ["expires_at"])
    for statement in OUTBOX_NOTIFY_SQL:
        op.execute(statement)


def drop_platform_tables() -> None:
    op.execute("DROP TRIGGER IF EXISTS outbox_notify ON outbox")
    op.execute("DROP FUNCTION IF EXISTS millbook_outbox_notify()")
    for table in ("idempotency_keys", "processed_events", "outbox"):
        op.drop_table(table)


def run_migrations(service_metadata: MetaData) -> None:
    """The body of a service's `migrations/env.py`."""
    url = os.environ.get("MILLBOOK_DATABASE_URL") or context.config.get_main_option(
        "sqlalchemy.url"
    )
    if not url:
        raise SystemExit("MILLBOOK_DATABASE_URL is not set: point it at the service's database.")
    targets: Sequence[MetaData] = [service_metadata, Base.metadata]
    if context.is_offline_mode():
        context.configure(url=url, target_metadata=targets, literal_binds=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    asyncio.run(_run_online(url, targets))


def _configure_and_run(connection: Connection, targets: Sequence[MetaData]) -> None:
    # The service's role owns its tables and RLS is forced on owners too: a data
    # migration (a backfill) must see every tenant's rows.
    connection.execute(text("SELECT set_config('app.all_tenants', 'on', false)"))
    connection.commit()  # a session setting; alembic then runs in a transaction of its own
    context.configure(connection=connection, target_metadata=targets)
    with context.begin_transaction():
        context.run_migrations()


async def _run_online(url: str, targets: Sequence[MetaData]) -> None:
    engine = create_async_engine(url, poolclass=pool.NullPool)
    async with engine.connect() as connection:
        await connection.run_sync(_configure_and_run, targets)
    await engine.dispose()
