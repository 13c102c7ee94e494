"""Row-level security is the second wall: every table with a tenant_id is behind it.
Read from the migrated database itself, so a table added by any later migration without
`tenant_rls_sql(table)` fails here."""

from millbook_testing.audits import unguarded_tables


async def test_every_tenant_table_forces_a_row_level_policy(sessions) -> None:
    assert await unguarded_tables(sessions) == {}
