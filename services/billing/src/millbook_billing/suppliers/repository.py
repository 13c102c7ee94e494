"""The suppliers read model: purchasing's suppliers as bills need them (`get_supplier`).

A supplier purchasing created a moment ago may not be here yet: `await_supplier` waits
briefly for it (`millbook_platform.read_models`), woken by the projection's `announce`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from millbook_billing.models import Supplier
from millbook_platform import read_models

TABLE = Supplier.__tablename__


@dataclass(frozen=True)
class SupplierRecord:
    id: uuid.UUID
    supplier_code: str | None
    name: str
    email: str | None
    payment_terms: str
    currency_code: str
    address: dict[str, Any] | None  # line1, line2, city, state, postal_code, country
    tax_number: str | None
    status: str  # active | inactive


def _record(row: Supplier) -> SupplierRecord:
    return SupplierRecord(
        id=row.id,
        supplier_code=row.supplier_code,
        name=row.name,
        email=row.email,
        payment_terms=row.payment_terms,
        currency_code=row.currency_code,
        address=row.address,
        tax_number=row.tax_number,
        status=row.status,
    )


async def get_supplier(
    session: AsyncSession, tenant_id: uuid.UUID, supplier_id: uuid.UUID
) -> SupplierRecord | None:
    """The tenant's supplier, or None when unknown or another tenant's."""
    row = await session.scalar(
        select(Supplier).where(Supplier.tenant_id == tenant_id, Supplier.id == supplier_id)
    )
    return None if row is None else _record(row)


async def await_supplier(
    session: AsyncSession, tenant_id: uuid.UUID, supplier_id: uuid.UUID
) -> SupplierRecord | None:
    """The tenant's supplier, waiting up to `read_models.WAIT_S` for purchasing's event."""
    return await read_models.await_row(
        session,
        lambda: get_supplier(session, tenant_id, supplier_id),
        table=TABLE,
        tenant_id=tenant_id,
        row_id=supplier_id,
    )


async def suppliers_named(
    session: AsyncSession, tenant_id: uuid.UUID, name: str
) -> list[SupplierRecord]:
    """Suppliers whose name or code equals `name`, ignoring case and surrounding spaces."""
    wanted = name.strip().lower()
    rows = await session.scalars(
        select(Supplier)
        .where(
            Supplier.tenant_id == tenant_id,
            (func.lower(Supplier.name) == wanted) | (func.lower(Supplier.supplier_code) == wanted),
        )
        .order_by(Supplier.name, Supplier.id)
    )
    return [_record(row) for row in rows]


async def upsert(
    session: AsyncSession, tenant_id: uuid.UUID, supplier_id: uuid.UUID, values: dict[str, Any]
) -> None:
    """Insert or update, unless the row already reflects a later fact (`as_of`)."""
    statement = insert(Supplier).values(id=supplier_id, tenant_id=tenant_id, **values)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["id"],
            set_={**values, "updated_at": func.now()},
            where=(Supplier.tenant_id == tenant_id) & (Supplier.as_of <= statement.excluded.as_of),
        )
    )
    await read_models.announce(session, TABLE, tenant_id, supplier_id)
