"""Gap-free document numbers per tenant: a counter row locked by the business transaction.

Each service keeps its counters in its own database: it declares
`class DocumentCounter(DocumentCounterColumns, Base)` and passes that model here.
"""

from __future__ import annotations

import uuid

from sqlalchemy import BigInteger, Integer, String
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import Uuid


class DocumentCounterColumns:
    """The last number handed out in one series (`invoice`, `quotation`, ...) and period.

    Incremented inside the business transaction, whose row lock makes numbers gap-free:
    a rolled-back transaction gives its number back.
    """

    __tablename__ = "document_counters"

    tenant_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    series: Mapped[str] = mapped_column(String(40), primary_key=True)
    period: Mapped[int] = mapped_column(Integer, primary_key=True)  # the year, or 0
    last_value: Mapped[int] = mapped_column(BigInteger)


async def next_number(
    session: AsyncSession,
    counter: type[DocumentCounterColumns],
    tenant_id: uuid.UUID,
    series: str,
    period: int = 0,
) -> int:
    """The next number of `series` in `period`.

    The upsert locks the counter row until the caller's transaction ends, so
    concurrent callers queue, and a rollback returns the number: no gaps, no repeats.
    """
    statement = (
        insert(counter)
        .values(tenant_id=tenant_id, series=series, period=period, last_value=1)
        .on_conflict_do_update(
            index_elements=["tenant_id", "series", "period"],
            set_={"last_value": counter.last_value + 1},
        )
        .returning(counter.last_value)
    )
    value = await session.scalar(statement)
    assert value is not None
    return int(value)


def document_number(prefix: str, year: int, value: int) -> str:
    """`QUO-2026-0001`; grows past four digits rather than wrapping."""
    return f"{prefix}-{year}-{value:04d}"
