"""Sorting, offset and keyset pages against real PostgreSQL."""

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import Numeric, String, select
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from millbook_platform.db import TenantScoped, new_metadata
from millbook_platform.errors import ValidationFailed
from millbook_platform.pagination import PageParams, paginate


class Base(DeclarativeBase):
    metadata = new_metadata()


class Widget(TenantScoped, Base):
    __tablename__ = "widgets"
    name: Mapped[str] = mapped_column(String(50))
    price: Mapped[Decimal] = mapped_column(Numeric(12, 2))


@pytest.fixture(scope="module")
async def widgets(infra):
    from millbook_platform.db import create_engine, session_factory

    url = await asyncio.to_thread(infra.scratch_database, "t_pages")
    engine = create_engine(url, pool_size=2)
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    sessions = session_factory(engine)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    rows = [
        Widget(
            id=uuid.uuid4(),
            tenant_id=uuid.uuid4(),
            name=f"w{n % 5}",
            price=Decimal(n % 7) + Decimal("0.50"),
            created_at=start + timedelta(minutes=n // 3),
        )  # ties in created_at too
        for n in range(37)
    ]
    async with sessions() as session, session.begin():
        session.add_all(rows)
    yield sessions, rows
    await engine.dispose()


SORTABLE = {"name": Widget.name, "price": Widget.price}


async def page(sessions, **params):
    async with sessions() as session:
        return await paginate(
            session,
            select(Widget),
            PageParams(**{"limit": 10, "offset": 0, "cursor": None, **params}),
            created_at=Widget.created_at,
            row_id=Widget.id,
            sortable=SORTABLE,
        )


def expected_order(rows, *keys):
    ordered = sorted(rows, key=lambda w: w.id, reverse=keys[-1].startswith("-"))
    for key in reversed(keys):
        name = key.lstrip("-")
        ordered = sorted(ordered, key=lambda w, n=name: getattr(w, n), reverse=key.startswith("-"))
    return [w.id for w in ordered]


@pytest.mark.parametrize("sort", ["name,-price", "-created_at", "price", "-price,name"])
async def test_cursor_walk_visits_every_row_once_in_the_requested_order(widgets, sort):
    sessions, rows = widgets
    seen, cursor = [], None
    first, meta = await page(sessions, sort=sort)
    seen += [w.id for w in first]
    cursor = meta.next_cursor
    while cursor:
        more, meta = await page(sessions, sort=sort, cursor=cursor)
        seen += [w.id for w in more]
        cursor = meta.next_cursor
    assert seen == expected_order(rows, *sort.split(","))


async def test_offset_pages_match_the_same_order_and_count_the_total(widgets):
    sessions, rows = widgets
    second, meta = await page(sessions, sort="name,-price", offset=10)
    assert [w.id for w in second] == expected_order(rows, "name", "-price")[10:20]
    assert meta.total == len(rows)


async def test_a_cursor_from_another_sort_is_refused(widgets):
    sessions, _ = widgets
    _, meta = await page(sessions, sort="price")
    with pytest.raises(ValidationFailed):
        await page(sessions, sort="name", cursor=meta.next_cursor)
