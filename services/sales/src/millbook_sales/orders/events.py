"""The contract events an order change becomes; created and completed carry what billing needs."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from millbook_contracts.sales import (
    OrderCancelled,
    OrderCompleted,
    OrderCreated,
    OrderProductionStarted,
    OrderShipped,
)
from millbook_platform.db import utcnow
from millbook_sales.models import Customer, Order, OrderLine
from millbook_sales.quotations.events import document_lines, totals


def _facts(order: Order, quote_number: str) -> dict[str, Any]:
    return {
        "order_id": order.id,
        "order_number": order.order_number,
        "quotation_id": order.quotation_id,
        "quote_number": quote_number,
        "customer_id": order.customer_id,
        "status": order.status,
        "occurred_at": utcnow(),
    }


def _with_lines(
    order: Order, quote_number: str, customer: Customer, lines: Sequence[OrderLine]
) -> dict[str, Any]:
    return {
        **_facts(order, quote_number),
        "customer_name": customer.name,
        "customer_code": customer.customer_code,
        "billing_email": customer.primary_email,
        "billing_address": customer.billing_address,
        "payment_terms": order.payment_terms,
        "order_date": order.order_date,
        "required_date": order.required_date,
        "totals": totals(order),
        "lines": document_lines(lines, order.currency_code),
    }


def order_created(
    order: Order, quote_number: str, customer: Customer, lines: Sequence[OrderLine]
) -> OrderCreated:
    return OrderCreated(**_with_lines(order, quote_number, customer, lines))


def order_completed(
    order: Order, quote_number: str, customer: Customer, lines: Sequence[OrderLine]
) -> OrderCompleted:
    return OrderCompleted(**_with_lines(order, quote_number, customer, lines))


def order_production_started(order: Order, quote_number: str) -> OrderProductionStarted:
    return OrderProductionStarted(**_facts(order, quote_number))


def order_shipped(order: Order, quote_number: str) -> OrderShipped:
    return OrderShipped(**_facts(order, quote_number))


def order_cancelled(order: Order, quote_number: str) -> OrderCancelled:
    return OrderCancelled(**_facts(order, quote_number), reason=order.cancellation_reason)
