"""Async SQLAlchemy 2 on psycopg 3: the engine, the unit of work and tenant scoping.

Every transaction that touches business rows names its tenant with
`SET LOCAL app.tenant_id`; the row-level-security policies created by
`tenant_rls_sql` make that the second wall behind the repositories.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

import orjson
from psycopg.types.json import set_json_loads
from sqlalchemy import DateTime, MetaData, text
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import Uuid

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_metadata() -> MetaData:
    return MetaData(naming_convention=NAMING_CONVENTION)


class Base(DeclarativeBase):
    """Base of the platform's own tables (outbox, inbox, idempotency keys).

    Each service declares its own base with `new_metadata()` so two services'
    tables never share one MetaData.
    """

    metadata = new_metadata()


class TenantScoped:
    """Columns every business row carries."""

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    tenant_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )


# JSON columns are decoded by psycopg; orjson does it several times faster than the
# standard library, which matters to the outbox relay (a JSON header map per event).
set_json_loads(orjson.loads)


def create_engine(database_url: str, *, pool_size: int = 10) -> AsyncEngine:
    return create_async_engine(
        database_url,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=True,
        pool_recycle=1800,
        # A database error's message (logged with its trace) never lists the bound values.
        hide_parameters=True,
    )


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


async def scope_to_tenant(session: AsyncSession, tenant_id: uuid.UUID | str) -> None:
    """Bind the current transaction to one tenant (RLS reads `app.tenant_id`)."""
    await session.execute(
        text("SELECT set_config('app.tenant_id', :tenant, true)"), {"tenant": str(tenant_id)}
    )


async def scope_to_all_tenants(session: AsyncSession) -> None:
    """For the few system paths that must look across tenants (login lookup, schedulers)."""
    await session.execute(text("SELECT set_config('app.all_tenants', 'on', true)"))


@asynccontextmanager
async def across_tenants(session: AsyncSession) -> AsyncIterator[None]:
    """Read across tenants for one block; the rest of the transaction is scoped again."""
    await scope_to_all_tenants(session)
    try:
        yield
    finally:
        await session.execute(text("SELECT set_config('app.all_tenants', 'off', true)"))


@asynccontextmanager
async def unit_of_work(
    sessions: async_sessionmaker[AsyncSession], tenant_id: uuid.UUID | str | None = None
) -> AsyncIterator[AsyncSession]:
    """One transaction: commits when the block ends cleanly, rolls back otherwise."""
    async with sessions() as session, session.begin():
        if tenant_id is not None:
            await scope_to_tenant(session, tenant_id)
        yield session


def tenant_rls_sql(table: str) -> list[str]:
    """Statements that put a table behind tenant row-level security.

    FORCE applies the policy to the owning role too, which is the role each
    service connects as.
    """
    condition = (
        "tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid "
        "OR current_setting('app.all_tenants', true) = 'on'"
    )
    return [
        f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY",
        f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY",
        f"CREATE POLICY tenant_isolation ON {table} USING ({condition}) WITH CHECK ({condition})",
    ]
