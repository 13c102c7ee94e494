"""Migrations upgrade databases that already hold every tenant's data."""

import asyncio
import os
import subprocess
import sys
import uuid

import psycopg

from millbook_stack.profiles import find_repo_root


def alembic(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "alembic", "-c", "services/identity/alembic.ini", *args],
        env={**os.environ, "MILLBOOK_DATABASE_URL": database_url},
        cwd=find_repo_root(),
        capture_output=True,
        text=True,
        check=False,
    )


def seed_a_session_at_0002(dsn: str) -> uuid.UUID:
    tenant, user, session = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    with psycopg.connect(dsn) as conn:
        conn.execute("SELECT set_config('app.tenant_id', %s, false)", (str(tenant),))
        conn.execute(
            "INSERT INTO organizations (id, tenant_id, name, base_currency, timezone, created_at,"
            " updated_at) VALUES (%s, %s, 'Shop', 'USD', 'UTC', now(), now())",
            (tenant, tenant),
        )
        conn.execute(
            "INSERT INTO users (id, tenant_id, email, password_hash, first_name, last_name, roles,"
            " status, created_at, updated_at) VALUES (%s, %s, 'a@example.com', 'x', 'A', 'B',"
            " '{admin}', 'active', now(), now())",
            (user, tenant),
        )
        conn.execute(
            "INSERT INTO sessions (id, tenant_id, user_id, refresh_token_hash, expires_at,"
            " created_at, updated_at) VALUES (%s, %s, %s, 'h', now(), now(), now())",
            (session, tenant, user),
        )
    return session


async def test_upgrading_backfills_rows_of_every_tenant_despite_row_level_security(infra):
    url = await asyncio.to_thread(infra.scratch_database, "t_identity_upgrade")
    assert alembic(url, "upgrade", "0002").returncode == 0
    session = seed_a_session_at_0002(url.replace("+psycopg", ""))
    upgraded = alembic(url, "upgrade", "head")
    assert upgraded.returncode == 0, upgraded.stderr[-2000:]
    with psycopg.connect(url.replace("+psycopg", "")) as conn:
        conn.execute("SELECT set_config('app.all_tenants', 'on', false)")
        family = conn.execute("SELECT family_id FROM sessions WHERE id = %s", (session,))
        assert family.fetchone() == (session,)
