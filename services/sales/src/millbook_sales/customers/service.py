"""Customer use cases: each runs in the request's transaction and only flushes."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from millbook_platform.db import utcnow
from millbook_platform.errors import Conflict, NotFound, ValidationFailed, field_error
from millbook_platform.numbering import next_number
from millbook_platform.outbox import record_event
from millbook_platform.pagination import PageMeta, PageParams
from millbook_sales.customers import domain, events, repository
from millbook_sales.customers.repository import CustomerFilters
from millbook_sales.customers.schemas import REQUIRED_FIELDS, CustomerCreate, CustomerUpdate
from millbook_sales.models import Customer, DocumentCounter
from millbook_sales.tenants.domain import TenantCurrencies
from millbook_sales.tenants.service import accepted_currency, currencies_of, currency_for

# The fields a client writes; PUT replaces all of them, PATCH the ones it sends.
WRITABLE = tuple(CustomerCreate.model_fields)


async def get_customer(
    session: AsyncSession, tenant_id: uuid.UUID, customer_id: uuid.UUID, *, lock: bool = False
) -> Customer:
    customer = await repository.get(session, tenant_id, customer_id, lock=lock)
    if customer is None:
        raise NotFound(
            "No customer with this id.", details=[field_error("customer_id", str(customer_id))]
        )
    return customer


async def list_customers(
    session: AsyncSession, tenant_id: uuid.UUID, filters: CustomerFilters, page: PageParams
) -> tuple[Sequence[Customer], PageMeta]:
    return await repository.list_page(session, tenant_id, filters, page)


async def create_customer(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    body: CustomerCreate,
    *,
    source: str,
    currencies: TenantCurrencies | None = None,
) -> Customer:
    """A new customer; a batch passes the tenant's `currencies` to look them up once."""
    values = body.model_dump(mode="python", exclude={"customer_code"})
    currencies = currencies or await currencies_of(session, tenant_id)
    values["currency_code"] = accepted_currency(currencies, body.currency_code)
    code = body.customer_code or await _generate_code(session, tenant_id)
    customer = Customer(
        id=uuid.uuid4(), tenant_id=tenant_id, customer_code=code, **_columns(values)
    )
    await _save(session, customer)
    record_event(session, events.customer_created(customer), tenant_id=tenant_id, source=source)
    return customer


async def create_customers(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    bodies: Sequence[CustomerCreate],
    *,
    source: str,
) -> list[Customer]:
    """Many new customers in a few statements (imports): each body already valid, its
    currency accepted, and any code it names unique in the file and free in the tenant."""
    generated = iter(
        await _generate_codes(session, tenant_id, sum(not b.customer_code for b in bodies))
    )
    customers = [
        Customer(
            id=uuid.uuid4(),
            tenant_id=tenant_id,
            customer_code=body.customer_code or next(generated),
            **_columns(body.model_dump(mode="python", exclude={"customer_code"})),
        )
        for body in bodies
    ]
    session.add_all(customers)
    await session.flush()
    for customer in customers:
        record_event(session, events.customer_created(customer), tenant_id=tenant_id, source=source)
    return customers


async def replace_customer(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    customer_id: uuid.UUID,
    body: CustomerCreate,
    *,
    source: str,
) -> Customer:
    """PUT: every writable field takes the body's value (or its default); an omitted code stays."""
    values = body.model_dump(mode="python")
    if values["customer_code"] is None:
        del values["customer_code"]
    values["currency_code"] = await currency_for(session, tenant_id, body.currency_code)
    return await _change(session, tenant_id, customer_id, values, source=source)


async def update_customer(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    customer_id: uuid.UUID,
    body: CustomerUpdate,
    *,
    source: str,
) -> Customer:
    values = body.model_dump(mode="python", exclude_unset=True)
    nulls = sorted(name for name in REQUIRED_FIELDS if name in values and values[name] is None)
    if nulls:
        raise ValidationFailed(
            "These fields cannot be null.",
            details=[field_error(n, "may not be null") for n in nulls],
        )
    if "currency_code" in values:
        await currency_for(session, tenant_id, values["currency_code"])
    return await _change(session, tenant_id, customer_id, values, source=source)


async def archive_customer(
    session: AsyncSession, tenant_id: uuid.UUID, customer_id: uuid.UUID, *, source: str
) -> Customer:
    values = {"status": domain.CustomerStatus.INACTIVE.value}
    return await _change(session, tenant_id, customer_id, values, source=source)


async def delete_customer(
    session: AsyncSession, tenant_id: uuid.UUID, customer_id: uuid.UUID, *, source: str
) -> None:
    customer = await get_customer(session, tenant_id, customer_id, lock=True)
    quotations, orders = await repository.open_document_counts(session, tenant_id, customer_id)
    if quotations or orders:
        raise Conflict(
            f"The customer has {quotations} open quotation(s) and {orders} open order(s); "
            "archive it instead (status inactive).",
            details=[field_error("customer_id", "has open quotations or orders")],
        )
    now = utcnow()
    customer.deleted_at = now
    await session.flush()
    record_event(
        session, events.customer_deleted(customer, now), tenant_id=tenant_id, source=source
    )


async def _change(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    customer_id: uuid.UUID,
    values: dict[str, Any],
    *,
    source: str,
) -> Customer:
    customer = await get_customer(session, tenant_id, customer_id, lock=True)
    before = _snapshot(customer)
    for name, value in _columns(values).items():
        setattr(customer, name, value)
    changed = domain.changed_fields(before, _snapshot(customer))
    if not changed:
        return customer
    await _save(session, customer)
    _record_change(session, customer, changed, source=source)
    return customer


def _record_change(
    session: AsyncSession, customer: Customer, changed: list[str], *, source: str
) -> None:
    tenant_id = customer.tenant_id
    if "status" in changed and customer.status == domain.CustomerStatus.INACTIVE:
        record_event(
            session, events.customer_archived(customer), tenant_id=tenant_id, source=source
        )
        changed = [name for name in changed if name != "status"]
    if changed:
        event = events.customer_updated(customer, changed)
        record_event(session, event, tenant_id=tenant_id, source=source)


def _columns(values: dict[str, Any]) -> dict[str, Any]:
    """Body values as column values (the company also gives its matching key)."""
    columns = dict(values)
    if "company" in columns:
        columns["company_key"] = domain.company_key(columns["company"])
    if columns.get("primary_email"):
        columns["primary_email"] = columns["primary_email"].lower()
    return columns


def _snapshot(customer: Customer) -> dict[str, Any]:
    return {name: getattr(customer, name) for name in WRITABLE}


async def _generate_code(session: AsyncSession, tenant_id: uuid.UUID) -> str:
    # A code typed by hand may already hold the next number; skip past it.
    while True:
        code = domain.generated_code(
            await next_number(session, DocumentCounter, tenant_id, domain.CODE_SERIES)
        )
        if not await repository.code_taken(session, tenant_id, code):
            return code


async def _generate_codes(session: AsyncSession, tenant_id: uuid.UUID, count: int) -> list[str]:
    """`count` fresh `CUST-NNNN` codes, skipping any a person typed by hand."""
    codes: list[str] = []
    while len(codes) < count:
        numbers = await repository.reserve_numbers(
            session, tenant_id, domain.CODE_SERIES, count - len(codes)
        )
        candidates = [domain.generated_code(number) for number in numbers]
        taken = await repository.codes_taken(session, tenant_id, candidates)
        codes += [code for code in candidates if code not in taken]
    return codes


async def _save(session: AsyncSession, customer: Customer) -> None:
    session.add(customer)
    try:
        await session.flush()
    except IntegrityError as exc:
        raise Conflict(
            f"The customer code {customer.customer_code!r} is already in use.",
            details=[field_error("customer_code", "already in use")],
        ) from exc
