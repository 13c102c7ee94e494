"""Row-level security is the second wall: every table with a tenant_id is behind it.

Read from the migrated database itself, so a table added by any later migration
without `tenant_rls_sql(table)` fails here.
"""

from __future__ import annotations

from sqlalchemy import text

TENANT_TABLES = text(
    """
    SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity,
           EXISTS (SELECT 1 FROM pg_policy p WHERE p.polrelid = c.oid) AS has_policy
    FROM pg_class c
    JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p')
      AND EXISTS (
        SELECT 1 FROM pg_attribute a
        WHERE a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped
      )
    ORDER BY c.relname
    """
)

# Platform tables that system code reads for every tenant by design (the outbox relay, the
# idempotency middleware before a tenant session exists); they never serve a tenant's query.
PLATFORM_TABLES = {"outbox", "idempotency_keys"}


async def test_every_tenant_table_forces_a_row_level_policy(sessions):
    async with sessions() as session:
        rows = (await session.execute(TENANT_TABLES)).all()
    assert len(rows) >= 5  # the query sees the service's tables at all
    unguarded = {
        name: {"enabled": enabled, "forced": forced, "policy": policy}
        for name, enabled, forced, policy in rows
        if name not in PLATFORM_TABLES and not (enabled and forced and policy)
    }
    assert unguarded == {}
