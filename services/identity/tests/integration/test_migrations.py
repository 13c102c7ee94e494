"""Migrations upgrade databases that already hold every tenant's data."""

import asyncio
import os
import subprocess
import sys
import uuid

import psycopg
from psycopg.types.json import Jsonb

from millbook_identity.auth.keys import KeyVault, generate_key_material, is_sealed, public_jwk
from millbook_stack.profiles import find_repo_root


def alembic(database_url: str, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("MILLBOOK_SIGNING_KEY")}
    return subprocess.run(
        [sys.executable, "-m", "alembic", "-c", "services/identity/alembic.ini", *args],
        env={**base, **env, "MILLBOOK_DATABASE_URL": database_url},
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


def seed_a_plain_signing_key(dsn: str) -> tuple[str, dict]:
    material = generate_key_material()
    with psycopg.connect(dsn) as conn:
        conn.execute(
            "INSERT INTO signing_keys (kid, private_key_pem, public_jwk) VALUES (%s, %s, %s)",
            (material.kid, material.private_key_pem, Jsonb(material.public_jwk)),
        )
    return material.kid, material.public_jwk


def stored_pem(dsn: str, kid: str) -> str:
    with psycopg.connect(dsn) as conn:
        row = conn.execute("SELECT private_key_pem FROM signing_keys WHERE kid = %s", (kid,))
        return row.fetchone()[0]


async def test_upgrading_encrypts_existing_signing_keys_with_the_passphrase(infra):
    url = await asyncio.to_thread(infra.scratch_database, "t_identity_keys")
    dsn = url.replace("+psycopg", "")
    assert alembic(url, "upgrade", "0004").returncode == 0
    kid, jwk = seed_a_plain_signing_key(dsn)
    passphrase = "the operator's signing key passphrase"

    refused = alembic(url, "upgrade", "head")
    upgraded = alembic(url, "upgrade", "head", MILLBOOK_SIGNING_KEY_PASSPHRASE=passphrase)
    sealed = stored_pem(dsn, kid)
    downgraded = alembic(url, "downgrade", "0004", MILLBOOK_SIGNING_KEY_PASSPHRASE=passphrase)

    assert refused.returncode != 0
    assert "MILLBOOK_SIGNING_KEY_PASSPHRASE" in refused.stderr
    assert upgraded.returncode == 0, upgraded.stderr[-2000:]
    assert is_sealed(sealed)
    opened = KeyVault(passphrase.encode()).open(kid, sealed, jwk)
    assert public_jwk(opened.private_key(), kid) == jwk
    assert downgraded.returncode == 0, downgraded.stderr[-2000:]
    assert not is_sealed(stored_pem(dsn, kid))


def seed_a_leaked_reset_at_0005(dsn: str) -> tuple[uuid.UUID, uuid.UUID, uuid.UUID]:
    """An entry as the audit consumer wrote v1 reset events, an ordinary one, and the
    still-usable reset whose token that entry shows."""
    tenant, user, leaked, ordinary = uuid.uuid4(), uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    with psycopg.connect(dsn) as conn:
        conn.execute("SELECT set_config('app.tenant_id', %s, false)", (str(tenant),))
        conn.execute(
            "INSERT INTO organizations (id, tenant_id, name, base_currency, timezone,"
            " sandbox_tenant_id, created_at, updated_at)"
            " VALUES (%s, %s, 'Shop', 'USD', 'UTC', %s, now(), now())",
            (tenant, tenant, uuid.uuid4()),
        )
        conn.execute(
            "INSERT INTO users (id, tenant_id, email, password_hash, first_name, last_name, roles,"
            " status, created_at, updated_at) VALUES (%s, %s, 'a@example.com', 'x', 'A', 'B',"
            " '{admin}', 'active', now(), now())",
            (user, tenant),
        )
        conn.execute(
            "INSERT INTO password_resets (id, tenant_id, user_id, token_hash, expires_at)"
            " VALUES (%s, %s, %s, 'h', now() + interval '1 hour')",
            (uuid.uuid4(), tenant, user),
        )
        entries = [
            (
                leaked,
                "identity.password_reset.requested",
                {
                    "user_id": str(user),
                    "email": "a@example.com",
                    "token": "canary-reset-token",
                    "nested": [{"new_password": "canary-password"}],
                },
            ),
            (ordinary, "identity.user.created", {"user_id": str(user), "roles": ["admin"]}),
        ]
        for entry_id, action, payload in entries:
            conn.execute(
                "INSERT INTO audit_entries (id, tenant_id, occurred_at, action, resource_type,"
                " payload) VALUES (%s, %s, now(), %s, 'user', %s)",
                (entry_id, tenant, action, Jsonb(payload)),
            )
    return user, leaked, ordinary


async def test_upgrading_redacts_secrets_already_in_the_audit_trail_and_spends_leaked_resets(
    infra,
):
    url = await asyncio.to_thread(infra.scratch_database, "t_identity_redact")
    dsn = url.replace("+psycopg", "")
    assert alembic(url, "upgrade", "0005").returncode == 0
    user, leaked, ordinary = seed_a_leaked_reset_at_0005(dsn)

    upgraded = alembic(url, "upgrade", "head")

    assert upgraded.returncode == 0, upgraded.stderr[-2000:]
    with psycopg.connect(dsn) as conn:
        conn.execute("SELECT set_config('app.all_tenants', 'on', false)")
        payloads = dict(conn.execute("SELECT id, payload FROM audit_entries").fetchall())
        usable = conn.execute(
            "SELECT count(*) FROM password_resets WHERE user_id = %s AND expires_at > now()",
            (user,),
        ).fetchone()[0]
    assert "canary" not in str(payloads)
    assert payloads[leaked] == {
        "user_id": str(user),
        "email": "a@example.com",
        "token": "[redacted]",
        "nested": [{"new_password": "[redacted]"}],
    }
    assert payloads[ordinary] == {"user_id": str(user), "roles": ["admin"]}
    assert usable == 0
