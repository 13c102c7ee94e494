"""Every query on customers. The session is scoped to one tenant and each query names
the tenant too: row-level security is the second wall, not the first."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    func,
    literal_column,
    or_,
    select,
    tuple_,
)
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from millbook_platform.pagination import PageMeta, PageParams, paginate
from millbook_sales.models import Customer, DocumentCounter, Order, Quotation

OPEN_QUOTATION_STATUSES = ("draft", "sent")
OPEN_ORDER_STATUSES = ("confirmed", "in_production", "shipped")

SORTABLE = {
    "name": Customer.name,
    "customer_code": Customer.customer_code,
    "updated_at": Customer.updated_at,
}


@dataclass(frozen=True)
class CustomerFilters:
    status: str | None = None
    segment: str | None = None
    search: str | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None


async def get(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    customer_id: uuid.UUID,
    *,
    lock: bool = False,
    include_deleted: bool = False,
) -> Customer | None:
    statement = select(Customer).where(Customer.tenant_id == tenant_id, Customer.id == customer_id)
    if not include_deleted:
        statement = statement.where(Customer.deleted_at.is_(None))
    return await session.scalar(statement.with_for_update() if lock else statement)


async def code_taken(session: AsyncSession, tenant_id: uuid.UUID, code: str) -> bool:
    found = await session.scalar(
        select(Customer.id).where(Customer.tenant_id == tenant_id, Customer.customer_code == code)
    )
    return found is not None


async def codes_taken(
    session: AsyncSession, tenant_id: uuid.UUID, codes: Collection[str]
) -> set[str]:
    """Which of `codes` a customer of the tenant (deleted ones too) already has."""
    if not codes:
        return set()
    rows = await session.scalars(
        select(Customer.customer_code).where(
            Customer.tenant_id == tenant_id, Customer.customer_code.in_(list(codes))
        )
    )
    return set(rows)


async def reserve_numbers(
    session: AsyncSession, tenant_id: uuid.UUID, series: str, count: int
) -> range:
    """`count` consecutive numbers of the series at once (one locked counter update)."""
    statement = (
        insert(DocumentCounter)
        .values(tenant_id=tenant_id, series=series, period=0, last_value=count)
        .on_conflict_do_update(
            index_elements=["tenant_id", "series", "period"],
            set_={"last_value": DocumentCounter.last_value + count},
        )
        .returning(DocumentCounter.last_value)
    )
    last = int(await session.scalar(statement) or 0)
    return range(last - count + 1, last + 1)


async def list_page(
    session: AsyncSession, tenant_id: uuid.UUID, filters: CustomerFilters, page: PageParams
) -> tuple[Sequence[Customer], PageMeta]:
    statement = _filtered(
        select(Customer).where(Customer.tenant_id == tenant_id, Customer.deleted_at.is_(None)),
        tenant_id,
        filters,
    )
    return await paginate(
        session,
        statement,
        page,
        created_at=Customer.created_at,
        row_id=Customer.id,
        sortable=SORTABLE,
    )


async def export_batches(
    session: AsyncSession, tenant_id: uuid.UUID, filters: CustomerFilters, size: int
) -> AsyncIterator[Sequence[Customer]]:
    """The list's customers, oldest first, `size` at a time by keyset (no OFFSET scans)."""
    base = _filtered(
        select(Customer).where(Customer.tenant_id == tenant_id, Customer.deleted_at.is_(None)),
        tenant_id,
        filters,
    ).order_by(Customer.created_at, Customer.id)
    after: tuple[datetime, uuid.UUID] | None = None
    while True:
        statement = (
            base
            if after is None
            else base.where(tuple_(Customer.created_at, Customer.id) > tuple_(*after))
        )
        batch = (await session.scalars(statement.limit(size))).all()
        if batch:
            yield batch
        if len(batch) < size:
            return
        after = (batch[-1].created_at, batch[-1].id)


async def open_document_counts(
    session: AsyncSession, tenant_id: uuid.UUID, customer_id: uuid.UUID
) -> tuple[int, int]:
    """How many quotations and orders of this customer are still open."""
    quotations = await session.scalar(
        select(func.count()).where(
            Quotation.tenant_id == tenant_id,
            Quotation.customer_id == customer_id,
            Quotation.status.in_(OPEN_QUOTATION_STATUSES),
        )
    )
    orders = await session.scalar(
        select(func.count()).where(
            Order.tenant_id == tenant_id,
            Order.customer_id == customer_id,
            Order.status.in_(OPEN_ORDER_STATUSES),
        )
    )
    return int(quotations or 0), int(orders or 0)


async def find_by_email_or_company(
    session: AsyncSession, tenant_id: uuid.UUID, email: str | None, company_key: str | None
) -> Sequence[Customer]:
    matches = _identity_matches(email, company_key)
    if not matches:
        return []
    statement = select(Customer).where(
        Customer.tenant_id == tenant_id, Customer.deleted_at.is_(None), or_(*matches)
    )
    return (await session.scalars(statement.order_by(Customer.created_at).limit(5))).all()


def _identity_matches(email: str | None, company_key: str | None) -> list[ColumnElement[bool]]:
    matches: list[ColumnElement[bool]] = []
    if email:
        matches.append(func.lower(Customer.primary_email) == email.lower())
    if company_key:
        matches.append(Customer.company_key == company_key)
    return matches


def _search_document(table: type[Customer] | Any) -> ColumnElement[Any]:
    # Spelled exactly as the trigram index of migration 0002, so the planner can use it.
    blank: ColumnElement[str] = literal_column("''")
    space: ColumnElement[str] = literal_column("' '")
    return (
        func.coalesce(table.name, blank)
        .op("||")(space)
        .op("||")(func.coalesce(table.company, blank))
        .op("||")(space)
        .op("||")(table.customer_code)
        .op("||")(space)
        .op("||")(func.coalesce(table.primary_email, blank))
    )


def _filtered(
    statement: Select[Any], tenant_id: uuid.UUID, filters: CustomerFilters
) -> Select[Any]:
    if filters.status is not None:
        statement = statement.where(Customer.status == filters.status)
    if filters.segment is not None:
        statement = statement.where(func.lower(Customer.segment) == filters.segment.lower())
    if filters.created_from is not None:
        statement = statement.where(Customer.created_at >= filters.created_from)
    if filters.created_to is not None:
        statement = statement.where(Customer.created_at <= filters.created_to)
    if filters.search and filters.search.strip():
        statement = statement.where(_matches(tenant_id, filters.search.strip()))
    return statement


def _matches(tenant_id: uuid.UUID, term: str) -> ColumnElement[bool]:
    """A substring of name, company, code or email; only when no customer has one does a
    close word match (pg_trgm) count, so `CUST-0002` finds one code, not its neighbours."""
    pattern = "%" + _escape_like(term) + "%"
    document = _search_document(Customer)
    other = aliased(Customer)
    any_literal = (
        select(other.id)
        .where(
            other.tenant_id == tenant_id,
            other.deleted_at.is_(None),
            _search_document(other).ilike(pattern, escape="\\"),
        )
        .exists()
    )
    return or_(document.ilike(pattern, escape="\\"), and_(~any_literal, document.op("%>")(term)))


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
