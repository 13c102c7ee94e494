"""Order use cases: confirm from an accepted quotation, then move through production."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from millbook_contracts.base import Event
from millbook_platform.db import utcnow
from millbook_platform.errors import Conflict, InvalidTransition, NotFound, field_error
from millbook_platform.numbering import document_number, next_number
from millbook_platform.outbox import record_event
from millbook_platform.pagination import PageMeta, PageParams
from millbook_sales.customers.service import get_customer
from millbook_sales.models import DocumentCounter, Order, OrderLine, Quotation
from millbook_sales.orders import domain, events, repository
from millbook_sales.orders.schemas import OrderCreate
from millbook_sales.quotations.domain import QuotationStatus
from millbook_sales.quotations.service import get_quotation

NUMBER_PREFIX = "ORD"
NUMBER_SERIES = "order"
_LINE_COPY = (
    "line_number",
    "product_name",
    "description",
    "quantity",
    "unit_price",
    "discount_percent",
    "tax_rate",
    "estimated_hours",
    "material_cost",
    "subtotal",
    "discount_amount",
    "tax_amount",
    "total_amount",
)
_STAMPS = {
    "start-production": "production_started_at",
    "ship": "shipped_at",
    "complete": "completed_at",
    "cancel": "cancelled_at",
}


@dataclass(frozen=True)
class OrderWithLines:
    order: Order
    lines: list[OrderLine]


async def get_order(
    session: AsyncSession, tenant_id: uuid.UUID, order_id: uuid.UUID, *, lock: bool = False
) -> OrderWithLines:
    order = await repository.get(session, tenant_id, order_id, lock=lock)
    if order is None:
        raise NotFound("No order with this id.", details=[field_error("order_id", str(order_id))])
    return OrderWithLines(
        order, (await repository.lines_of(session, tenant_id, [order.id]))[order.id]
    )


async def list_orders(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    status: str | None,
    customer_id: uuid.UUID | None,
    page: PageParams,
) -> tuple[list[OrderWithLines], PageMeta]:
    rows, meta = await repository.list_page(session, tenant_id, status, customer_id, page)
    lines = await repository.lines_of(session, tenant_id, [row.id for row in rows])
    return [OrderWithLines(row, lines[row.id]) for row in rows], meta


async def create_order(
    session: AsyncSession, tenant_id: uuid.UUID, body: OrderCreate, *, source: str
) -> OrderWithLines:
    quoted = await get_quotation(session, tenant_id, body.quotation_id, lock=True)
    quotation = quoted.quotation
    if quotation.status != QuotationStatus.ACCEPTED:
        raise InvalidTransition(
            f"Only an accepted quotation becomes an order; this one is {quotation.status}.",
            details=[field_error("quotation_id", f"quotation is {quotation.status}")],
        )
    if await repository.for_quotation(session, tenant_id, quotation.id) is not None:
        raise Conflict(
            "This quotation already has an order.",
            details=[field_error("quotation_id", "already ordered")],
        )
    number = await next_number(
        session, DocumentCounter, tenant_id, NUMBER_SERIES, body.order_date.year
    )
    order = _order_from(
        quotation, body, document_number(NUMBER_PREFIX, body.order_date.year, number)
    )
    session.add(order)
    await session.flush()  # the order row first: its lines refer to it
    lines = [_copy_line(order, line) for line in quoted.lines]
    session.add_all(lines)
    await session.flush()
    customer = await get_customer(session, tenant_id, order.customer_id)
    assert quotation.quote_number is not None
    event = events.order_created(order, quotation.quote_number, customer, lines)
    record_event(session, event, tenant_id=tenant_id, source=source)
    return OrderWithLines(order, lines)


async def advance_order(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    order_id: uuid.UUID,
    action: str,
    *,
    reason: str | None = None,
    source: str,
) -> OrderWithLines:
    current = await get_order(session, tenant_id, order_id, lock=True)
    order = current.order
    try:
        order.status = domain.next_status(order.status, action).value
    except domain.IllegalStep as exc:
        raise InvalidTransition(
            f"Cannot {action.replace('-', ' ')} an order that is {order.status}.",
            details=[field_error("status", order.status)],
        ) from exc
    setattr(order, _STAMPS[action], utcnow())
    if action == "cancel":
        order.cancellation_reason = reason
    await session.flush()
    quote_number = (
        await get_quotation(session, tenant_id, order.quotation_id)
    ).quotation.quote_number
    assert quote_number is not None
    record_event(
        session,
        await _event(session, current, action, quote_number),
        tenant_id=tenant_id,
        source=source,
    )
    return current


async def _event(
    session: AsyncSession, current: OrderWithLines, action: str, quote_number: str
) -> Event:
    order = current.order
    if action == "complete":
        customer = await get_customer(session, order.tenant_id, order.customer_id)
        return events.order_completed(order, quote_number, customer, current.lines)
    if action == "ship":
        return events.order_shipped(order, quote_number)
    if action == "cancel":
        return events.order_cancelled(order, quote_number)
    return events.order_production_started(order, quote_number)


def _order_from(quotation: Quotation, body: OrderCreate, number: str) -> Order:
    return Order(
        id=uuid.uuid4(),
        tenant_id=quotation.tenant_id,
        order_number=number,
        quotation_id=quotation.id,
        customer_id=quotation.customer_id,
        order_date=body.order_date,
        required_date=body.required_date,
        status=domain.OrderStatus.CONFIRMED.value,
        payment_terms=quotation.payment_terms,
        currency_code=quotation.currency_code,
        subtotal=quotation.subtotal,
        discount_amount=quotation.discount_amount,
        tax_amount=quotation.tax_amount,
        total_amount=quotation.total_amount,
    )


def _copy_line(order: Order, line: object) -> OrderLine:
    values = {name: getattr(line, name) for name in _LINE_COPY}
    return OrderLine(id=uuid.uuid4(), tenant_id=order.tenant_id, order_id=order.id, **values)
