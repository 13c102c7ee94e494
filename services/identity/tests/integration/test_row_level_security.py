from sqlalchemy import text

from millbook_platform.db import scope_to_tenant, unit_of_work


async def rows_visible(sessions, table, tenant_id=None):
    async with unit_of_work(sessions) as session:
        if tenant_id is not None:
            await scope_to_tenant(session, tenant_id)
        return (await session.execute(text(f"SELECT tenant_id FROM {table}"))).scalars().all()


async def test_raw_select_scoped_to_one_tenant_sees_no_other_tenants_users(
    org, found_org, sessions
):
    other = await found_org()

    visible = await rows_visible(sessions, "users", other.id)

    assert other.id in visible
    assert org.id not in visible
    assert set(visible) == {other.id}


async def test_organizations_and_sessions_are_behind_the_same_wall(org, found_org, sessions):
    other = await found_org()

    assert set(await rows_visible(sessions, "organizations", other.id)) == {other.id}
    assert set(await rows_visible(sessions, "sessions", other.id)) == {other.id}


async def test_a_transaction_without_a_tenant_sees_no_tenant_rows(org, sessions):
    for table in ("organizations", "users", "sessions"):
        assert await rows_visible(sessions, table) == []


async def test_writing_into_another_tenant_is_refused(org, found_org, sessions):
    other = await found_org()
    async with unit_of_work(sessions) as session:
        await scope_to_tenant(session, other.id)
        result = await session.execute(
            text("UPDATE users SET first_name = 'Mallory' WHERE tenant_id = :org"),
            {"org": org.id},
        )
    assert result.rowcount == 0
