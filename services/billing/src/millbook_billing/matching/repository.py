"""Every query on three-way matching results."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from millbook_billing.bills.domain import BillStatus
from millbook_billing.matching.domain import MatchStatus
from millbook_billing.models import Bill, MatchingResult, MatchingSettings
from millbook_platform.db import utcnow
from millbook_platform.pagination import PageMeta, PageParams, paginate


async def get(
    session: AsyncSession, tenant_id: uuid.UUID, matching_id: uuid.UUID
) -> MatchingResult | None:
    return await session.scalar(
        select(MatchingResult).where(
            MatchingResult.tenant_id == tenant_id, MatchingResult.id == matching_id
        )
    )


async def for_bill(
    session: AsyncSession, tenant_id: uuid.UUID, bill_id: uuid.UUID
) -> MatchingResult | None:
    return await session.scalar(
        select(MatchingResult).where(
            MatchingResult.tenant_id == tenant_id, MatchingResult.bill_id == bill_id
        )
    )


async def for_bills(
    session: AsyncSession, tenant_id: uuid.UUID, bill_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, MatchingResult]:
    rows = await session.scalars(
        select(MatchingResult).where(
            MatchingResult.tenant_id == tenant_id, MatchingResult.bill_id.in_(bill_ids)
        )
    )
    return {row.bill_id: row for row in rows}


async def pending_page(
    session: AsyncSession, tenant_id: uuid.UUID, page: PageParams
) -> tuple[Sequence[MatchingResult], PageMeta]:
    """Results of draft bills still awaiting their purchase order or in exception."""
    statement = (
        select(MatchingResult)
        .join(Bill, Bill.id == MatchingResult.bill_id)
        .where(
            MatchingResult.tenant_id == tenant_id,
            MatchingResult.status.in_((MatchStatus.PENDING, MatchStatus.EXCEPTION)),
            Bill.status == BillStatus.DRAFT,
        )
    )
    return await paginate(
        session,
        statement,
        page,
        created_at=MatchingResult.created_at,
        row_id=MatchingResult.id,
        sortable={"matched_at": MatchingResult.matched_at, "status": MatchingResult.status},
    )


async def tenant_settings(session: AsyncSession, tenant_id: uuid.UUID) -> MatchingSettings | None:
    return await session.scalar(
        select(MatchingSettings).where(MatchingSettings.tenant_id == tenant_id)
    )


async def save_tenant_settings(
    session: AsyncSession, tenant_id: uuid.UUID, price: Decimal, quantity: Decimal
) -> None:
    values = {"price_tolerance": price, "quantity_tolerance": quantity, "updated_at": utcnow()}
    statement = insert(MatchingSettings).values(tenant_id=tenant_id, **values)
    await session.execute(
        statement.on_conflict_do_update(index_elements=["tenant_id"], set_=values)
    )


async def draft_bills_on_defaults(session: AsyncSession, tenant_id: uuid.UUID) -> list[Bill]:
    """Draft bills whose match follows the tenant's default tolerances."""
    rows = await session.scalars(
        select(Bill)
        .join(MatchingResult, MatchingResult.bill_id == Bill.id)
        .where(
            Bill.tenant_id == tenant_id,
            Bill.status == BillStatus.DRAFT,
            MatchingResult.tolerance_requested.is_(False),
        )
        .order_by(Bill.purchase_order_id, Bill.id)  # order locks are taken in this order
    )
    return list(rows)
