"""Helpers every service's Alembic environment and first migration use."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Sequence

from alembic import context, op
from sqlalchemy import MetaData, pool
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from millbook_platform.db import Base
from millbook_platform.tables import OUTBOX_NOTIFY_SQL


def create_platform_tables() -> None:
    """Create outbox, processed_events and idempotency_keys inside a migration."""
    bind = op.get_bind()
    Base.metadata.create_all(bind)
    for statement in OUTBOX_NOTIFY_SQL:
        op.execute(statement)


def drop_platform_tables() -> None:
    op.execute("DROP TRIGGER IF EXISTS outbox_notify ON outbox")
    op.execute("DROP FUNCTION IF EXISTS millbook_outbox_notify()")
    Base.metadata.drop_all(op.get_bind())


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
    context.configure(connection=connection, target_metadata=targets)
    with context.begin_transaction():
        context.run_migrations()


async def _run_online(url: str, targets: Sequence[MetaData]) -> None:
    engine = create_async_engine(url, poolclass=pool.NullPool)
    async with engine.connect() as connection:
        await connection.run_sync(_configure_and_run, targets)
    await engine.dispose()
