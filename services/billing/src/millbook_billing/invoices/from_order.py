"""Invoice from order: `sales.order.completed` becomes the order's invoice, exactly once.

Exactly once because the consumer's inbox drops a redelivered event, and a second
event about the same order finds the invoice already linked to it (the unique
(tenant, order_id) on invoices settles a race between the two). Draft or issued
follows the tenant's `invoice_from_order` setting.
"""

from __future__ import annotations

import logging
import uuid
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from millbook_billing.config import Settings
from millbook_billing.customers.repository import get_customer
from millbook_billing.invoices import accounting, repository, service
from millbook_billing.invoices.domain import due_date_for
from millbook_billing.invoices.schemas import InvoiceLineIn
from millbook_billing.invoices.service import DraftFacts
from millbook_billing.settings.service import current_settings
from millbook_contracts.envelope import Envelope
from millbook_contracts.sales import DocumentLine, OrderCompleted
from millbook_platform.app import ConsumerFactory
from millbook_platform.consumer import EventConsumer, subscriptions
from millbook_platform.errors import AppError

log = logging.getLogger("millbook.billing.from_order")

ACTOR = "system:invoice-from-order"
DESCRIPTION_MAX = 2000


async def on_order_completed(
    session: AsyncSession, event: OrderCompleted, envelope: Envelope
) -> None:
    tenant_id = envelope.tenant_id
    if await repository.by_order(session, tenant_id, event.order_id) is not None:
        return  # already invoiced: a second event about the same order changes nothing
    settings = await current_settings(session, tenant_id)
    customer = await get_customer(session, tenant_id, event.customer_id)
    terms = (
        event.payment_terms
        or (customer.payment_terms if customer else None)
        or settings.default_payment_terms
    )
    currency = event.totals.currency_code
    base = await accounting.base_currency(session, tenant_id)
    invoice_date = event.occurred_at.date()
    facts = DraftFacts(
        customer_id=event.customer_id,
        customer_name=event.customer_name,
        customer_email=event.billing_email,
        billing_address=event.billing_address.model_dump(mode="json")
        if event.billing_address
        else None,
        invoice_date=invoice_date,
        due_date=due_date_for(invoice_date, terms),
        payment_terms=terms,
        currency_code=currency,
        # An order carries no rate: a foreign-currency invoice waits as a draft for one.
        exchange_rate=Decimal(1) if currency == base else None,
        notes=f"Order {event.order_number} (quotation {event.quote_number})",
        origin="order",
        order_id=event.order_id,
        quotation_id=event.quotation_id,
    )
    created = await service.create_draft(
        session, tenant_id, facts, [_line(line) for line in event.lines], actor=ACTOR
    )
    if settings.invoice_from_order == "issued":
        await _issue(session, created.invoice.tenant_id, created.invoice.id)


async def _issue(session: AsyncSession, tenant_id: uuid.UUID, invoice_id: uuid.UUID) -> None:
    """Issue it; one that cannot be issued yet (no exchange rate) stays a draft to finish."""
    try:
        async with session.begin_nested():
            await service.send_invoice(session, tenant_id, invoice_id, actor=ACTOR)
    except AppError as exc:
        log.warning("invoice %s from an order stays a draft: %s", invoice_id, exc.message)


def _line(line: DocumentLine) -> InvoiceLineIn:
    text = line.product_name if not line.description else f"{line.product_name}: {line.description}"
    return InvoiceLineIn(
        description=text[:DESCRIPTION_MAX],
        quantity=line.quantity,
        unit_price=line.unit_price,
        discount_percent=line.discount_percent,
        tax_rate=line.tax_rate,
    )


ORDERS = subscriptions((OrderCompleted, on_order_completed))


def orders_consumer(settings: Settings, *, name: str = "orders") -> ConsumerFactory:
    def build(sessions: async_sessionmaker[AsyncSession]) -> EventConsumer:
        return EventConsumer(
            name=name,
            service_name=settings.service_name,
            bootstrap_servers=settings.kafka_bootstrap_servers,
            sessions=sessions,
            subscriptions=ORDERS,
            topics=sorted({sub.event.topic() for sub in ORDERS.values() if sub.event}),
        )

    return build
