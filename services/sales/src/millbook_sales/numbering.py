"""Gap-free document numbers per tenant: a counter row locked by the business transaction."""

from __future__ import annotations

import uuid

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from millbook_sales.models import DocumentCounter


async def next_number(
    session: AsyncSession, tenant_id: uuid.UUID, series: str, period: int = 0
) -> int:
    """The next number of `series` in `period`.

    The upsert locks the counter row until the caller's transaction ends, so
    concurrent callers queue, and a rollback returns the number: no gaps, no repeats.
    """
    statement = (
        insert(DocumentCounter)
        .values(tenant_id=tenant_id, series=series, period=period, last_value=1)
        .on_conflict_do_update(
            index_elements=["tenant_id", "series", "period"],
            set_={"last_value": DocumentCounter.last_value + 1},
        )
        .returning(DocumentCounter.last_value)
    )
    value = await session.scalar(statement)
    assert value is not None
    return int(value)


def document_number(prefix: str, year: int, value: int) -> str:
    """`QUO-2026-0001`; grows past four digits rather than wrapping."""
    return f"{prefix}-{year}-{value:04d}"
